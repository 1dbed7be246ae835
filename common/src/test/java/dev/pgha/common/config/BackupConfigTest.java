package dev.pgha.common.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pgha.common.backup.BackupRepository;
import dev.pgha.common.backup.BackupType;
import dev.pgha.common.backup.RecoveryTarget;
import dev.pgha.common.backup.ScheduledBackup;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class BackupConfigTest {
    @TempDir
    Path dir;

    private PghaConfig load(Map<String, String> env) {
        return ConfigLoaderTest.load(dir, env);
    }

    private static final Map<String, String> S3 = Map.of(
            "PGHA_BACKUP_S3_ENDPOINT", "minio.internal:9000",
            "PGHA_BACKUP_S3_BUCKET", "pg-backups",
            "PGHA_BACKUP_S3_REGION", "us-east-1",
            "PGHA_BACKUP_S3_KEY", "AKIAEXAMPLE",
            "PGHA_BACKUP_S3_SECRET", "very-secret-key");

    @Test
    void offByDefault() {
        PghaConfig.Backup b = load(Map.of()).backup();
        assertThat(b.enabled()).isFalse();
        assertThat(b.retentionFull()).isEqualTo(2);
        assertThat(b.archiveQueueMaxBytes()).isEqualTo(4_000_000_000L);
        assertThat(b.archiveMaxAge()).isEqualTo(Duration.ofMinutes(2));
        assertThat(b.schedule()).isEmpty();
        assertThat(b.restore()).isEmpty();
    }

    @Test
    void aFilesystemRepositoryWithAScheduleAndRetention() {
        PghaConfig.Backup b = load(Map.of(
                        "PGHA_BACKUP_PATH", "/backups/pg",
                        "PGHA_BACKUP_SCHEDULE", "daily full, Hourly INCR",
                        "PGHA_BACKUP_RETENTION_FULL", "4"))
                .backup();
        assertThat(b.repository()).contains(new BackupRepository.Filesystem(Path.of("/backups/pg")));
        assertThat(b.schedule())
                .containsExactly(
                        new ScheduledBackup(Duration.ofDays(1), BackupType.FULL),
                        new ScheduledBackup(Duration.ofHours(1), BackupType.INCR));
        assertThat(b.retentionFull()).isEqualTo(4);
    }

    @Test
    void anS3RepositoryKeepsItsSecretsOutOfToString() {
        Map<String, String> env = new HashMap<>(S3);
        env.put("PGHA_BACKUP_CIPHER_PASS", "cipher-pass-value");
        PghaConfig.Backup b = load(env).backup();
        BackupRepository.S3 s3 = (BackupRepository.S3) b.repository().orElseThrow();
        assertThat(s3.endpoint()).isEqualTo("minio.internal:9000");
        assertThat(s3.path()).isEqualTo("/pgbackrest");
        assertThat(s3.pathStyle()).isFalse();
        assertThat(s3.secret().reveal()).isEqualTo("very-secret-key");
        assertThat(b.toString()).doesNotContain("very-secret-key").doesNotContain("cipher-pass-value");
    }

    @Test
    void restoreTargetsAreNormalised() {
        Map<String, String> env = new HashMap<>(Map.of("PGHA_BACKUP_PATH", "/backups", "PGHA_RESTORE_FROM", "old-app"));
        assertThat(load(env).backup().restore().orElseThrow())
                .isEqualTo(new PghaConfig.Restore("old-app", RecoveryTarget.latest()));
        env.put("PGHA_RESTORE_TARGET_TIME", "2026-11-29T10:15:00+01:00");
        assertThat(load(env).backup().restore().orElseThrow().target())
                .isEqualTo(RecoveryTarget.of(RecoveryTarget.Kind.TIME, "2026-11-29 10:15:00.000000+01:00"));
        env.put("PGHA_RESTORE_TARGET_TIME", "2026-11-29 10:15:00.25+00");
        assertThat(load(env).backup().restore().orElseThrow().target().value())
                .contains("2026-11-29 10:15:00.250000+00:00");
        env.remove("PGHA_RESTORE_TARGET_TIME");
        env.put("PGHA_RESTORE_TARGET_LSN", "0/3000060");
        assertThat(load(env).backup().restore().orElseThrow().target())
                .isEqualTo(RecoveryTarget.of(RecoveryTarget.Kind.LSN, "0/3000060"));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', textBlock = """
            PGHA_BACKUP_SCHEDULE=daily full                       | PGHA_BACKUP_SCHEDULE needs a backup repository: set PGHA_BACKUP_PATH or PGHA_BACKUP_S3_ENDPOINT (with _BUCKET, _REGION, _KEY and _SECRET)
            PGHA_BACKUP_PATH=/b,PGHA_BACKUP_SCHEDULE=nightly full | 'PGHA_BACKUP_SCHEDULE="nightly full" is not valid for backup.schedule: expected a comma-separated list of "<hourly|daily|weekly> <full|diff|incr>", e.g. "daily full, hourly incr"'
            PGHA_BACKUP_PATH=relative/dir                         | PGHA_BACKUP_PATH="relative/dir" is not valid for backup.path: expected an absolute path such as /data
            PGHA_BACKUP_PATH=/b,PGHA_BACKUP_S3_ENDPOINT=s3.aws    | PGHA_BACKUP_PATH and PGHA_BACKUP_S3_ENDPOINT are both set: choose one repository
            PGHA_BACKUP_S3_ENDPOINT=s3.aws,PGHA_BACKUP_S3_BUCKET=b1b | an S3 repository (PGHA_BACKUP_S3_ENDPOINT) also needs PGHA_BACKUP_S3_REGION, PGHA_BACKUP_S3_KEY, PGHA_BACKUP_S3_SECRET
            PGHA_BACKUP_S3_BUCKET=b1b                             | PGHA_BACKUP_S3_BUCKET is set but PGHA_BACKUP_S3_ENDPOINT is not: give the endpoint too, or unset it
            PGHA_BACKUP_CIPHER_PASS=x                             | PGHA_BACKUP_CIPHER_PASS needs a backup repository: set PGHA_BACKUP_PATH or PGHA_BACKUP_S3_ENDPOINT (with _BUCKET, _REGION, _KEY and _SECRET)
            PGHA_BACKUP_PATH=/b,PGHA_BACKUP_RETENTION_FULL=0      | PGHA_BACKUP_RETENTION_FULL="0" is not valid for backup.retentionFull: expected a number of full backups to keep, 1 to 1000
            PGHA_RESTORE_FROM=old                                 | PGHA_RESTORE_FROM needs a backup repository: set PGHA_BACKUP_PATH or PGHA_BACKUP_S3_ENDPOINT (with _BUCKET, _REGION, _KEY and _SECRET): the repository that holds cluster old's backups
            PGHA_BACKUP_PATH=/b,PGHA_RESTORE_FROM=pgha            | PGHA_RESTORE_FROM=pgha names this cluster: a restored cluster starts a new archive under its own name, so give it another FLY_APP_NAME (clusterName) than the cluster it restores from
            PGHA_BACKUP_PATH=/b,PGHA_RESTORE_TARGET_TIME=2026-11-29 10:00:00+00 | PGHA_RESTORE_TARGET_TIME is set but PGHA_RESTORE_FROM is not: name the cluster to restore from
            PGHA_BACKUP_PATH=/b,PGHA_RESTORE_FROM=old,PGHA_RESTORE_TARGET_TIME=yesterday | PGHA_RESTORE_TARGET_TIME="yesterday" is not valid for restore.targetTime: expected a time with its zone, such as "2026-11-29 10:15:00+00" or "2026-11-29T10:15:00Z"
            PGHA_BACKUP_PATH=/b,PGHA_RESTORE_FROM=old,PGHA_RESTORE_TARGET_TIME=2026-11-29 10:00:00 | PGHA_RESTORE_TARGET_TIME="2026-11-29 10:00:00" is not valid for restore.targetTime: expected a time with its zone, such as "2026-11-29 10:15:00+00" or "2026-11-29T10:15:00Z"
            PGHA_BACKUP_PATH=/b,PGHA_RESTORE_FROM=old,PGHA_RESTORE_TARGET_LSN=0/1,PGHA_RESTORE_TARGET_NAME=x | PGHA_RESTORE_TARGET_LSN and PGHA_RESTORE_TARGET_NAME are both set: give at most one restore target
            PGHA_BACKUP_PATH=/b,PGHA_RESTORE_FROM=old,PGHA_RESTORE_TARGET_NAME=it's | PGHA_RESTORE_TARGET_NAME="it's" is not valid for restore.targetName: expected a restore point name (letters, digits, _ . : -)
            """)
    void badBackupSettingsNameTheVariable(String assignments, String message) {
        Map<String, String> env = new HashMap<>();
        for (String a : assignments.split(",")) {
            int eq = a.indexOf('=');
            env.put(a.substring(0, eq), a.substring(eq + 1));
        }
        assertThatThrownBy(() -> load(env))
                .isInstanceOf(InvalidConfigException.class)
                .hasMessage(message);
    }

    @Test
    void scheduleEntriesParse() {
        assertThat(ScheduledBackup.parse("")).contains(List.of());
        assertThat(ScheduledBackup.parse("weekly full,daily diff"))
                .contains(List.of(
                        new ScheduledBackup(Duration.ofDays(7), BackupType.FULL),
                        new ScheduledBackup(Duration.ofDays(1), BackupType.DIFF)));
        assertThat(ScheduledBackup.parse("daily")).isEmpty();
        assertThat(ScheduledBackup.parse("daily full incr")).isEmpty();
    }
}
