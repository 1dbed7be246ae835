package dev.pgha.keeper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pgha.common.config.ConfigLoader;
import dev.pgha.common.config.PghaConfig;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class PgBackRestConfTest {
    private static PghaConfig config(Map<String, String> env) {
        Map<String, String> all = new HashMap<>(env);
        all.put("PGHA_DATA_DIR", "/data");
        all.put("FLY_APP_NAME", "shop");
        return ConfigLoader.load(Optional.empty(), all);
    }

    @Test
    void aFilesystemRepositoryWithAsyncArchivingAndABoundedQueue() {
        String conf = PgBackRestConf.render(
                config(Map.of("PGHA_BACKUP_PATH", "/backups", "PGHA_BACKUP_ARCHIVE_QUEUE_MAX", "1GB")),
                5433,
                Path.of("/data/run"),
                "flypgadmin",
                Optional.empty());
        assertThat(conf)
                .contains("[global]\nrepo1-type=posix\nrepo1-path=/backups\n")
                .contains("repo1-retention-full=2\n")
                .contains("archive-async=y\narchive-push-queue-max=1000000000\nspool-path=/data/pgbackrest/spool\n")
                .contains("[shop]\npg1-path=/data/postgres\npg1-port=5433\npg1-socket-path=/data/run\n"
                        + "pg1-user=flypgadmin\n")
                .doesNotContain("cipher");
    }

    @Test
    void anEncryptedS3RepositoryAndTheStanzaRestoredFrom() {
        String conf = PgBackRestConf.render(
                config(Map.of(
                        "PGHA_BACKUP_S3_ENDPOINT", "127.0.0.1:9191",
                        "PGHA_BACKUP_S3_BUCKET", "backups",
                        "PGHA_BACKUP_S3_REGION", "eu-west-1",
                        "PGHA_BACKUP_S3_KEY", "AKIA1",
                        "PGHA_BACKUP_S3_SECRET", "s3cr3t",
                        "PGHA_BACKUP_S3_URI_STYLE", "path",
                        "PGHA_BACKUP_CIPHER_PASS", "pass phrase",
                        "PGHA_BACKUP_PATH", "")),
                5433,
                Path.of("/data/run"),
                "flypgadmin",
                Optional.of("old-shop"));
        assertThat(conf)
                .contains("repo1-type=s3\nrepo1-path=/pgbackrest\nrepo1-s3-endpoint=127.0.0.1\n"
                        + "repo1-storage-port=9191\nrepo1-s3-bucket=backups\nrepo1-s3-region=eu-west-1\n"
                        + "repo1-s3-key=AKIA1\nrepo1-s3-key-secret=s3cr3t\nrepo1-s3-uri-style=path\n")
                .contains("repo1-cipher-type=aes-256-cbc\nrepo1-cipher-pass=pass phrase\n")
                .contains("[shop]\npg1-path=/data/postgres\n")
                .contains("[old-shop]\npg1-path=/data/postgres\n");
    }

    @Test
    void aValueWithALineBreakIsRefusedWithoutQuotingIt() {
        PghaConfig c = config(Map.of("PGHA_BACKUP_PATH", "/backups\nrepo1-type=s3"));
        assertThatThrownBy(() -> PgBackRestConf.render(c, 5433, Path.of("/data/run"), "flypgadmin", Optional.empty()))
                .hasMessage("a pgBackRest setting cannot hold a line break");
    }

    @Test
    void postgresRunsPgBackRestWithAQuotedConfigurationPath() {
        assertThat(PgBackRest.shellQuote("/data dir/it's")).isEqualTo("'/data dir/it'\\''s'");
    }
}
