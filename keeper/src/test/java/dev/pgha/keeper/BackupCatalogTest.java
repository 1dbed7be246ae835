package dev.pgha.keeper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pgha.common.backup.BackupType;
import dev.pgha.common.backup.RecoveryTarget;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class BackupCatalogTest {
    /** What pgBackRest 2.45 printed for a stanza with one full backup (taken by BackupIT's set-up, by hand). */
    private static String realInfo() throws IOException {
        try (InputStream in = BackupCatalogTest.class.getResourceAsStream("/pgbackrest-info.json")) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    private static final String TWO = """
            [{"name":"app","status":{"code":0,"message":"ok"},
              "archive":[{"min":"000000010000000000000001","max":"000000020000000000000009"}],
              "backup":[
                {"label":"20261129-100000F","type":"full","error":false,"timestamp":{"start":1795946400,"stop":1795946460},
                 "lsn":{"start":"0/2000028","stop":"0/2000100"},"info":{"size":100,"repository":{"delta":40}},
                 "archive":{"start":"000000010000000000000002","stop":"000000010000000000000002"},
                 "annotation":{"pgha-member":"a"}},
                {"label":"20261129-100000F_20261129-110000I","type":"incr","error":false,
                 "timestamp":{"start":1795950000,"stop":1795950060},"lsn":{"start":"0/5000028","stop":"0/5000100"},
                 "info":{"size":120,"repository":{"delta":5}}},
                {"label":"20261129-100000F_20261129-120000I","type":"incr","error":true,
                 "timestamp":{"start":1795953600,"stop":1795953660},"lsn":{"stop":"0/7000100"}},
                {"label":"","type":"full"},
                {"label":"x","type":"weekly"}
              ]},
             {"name":"other","status":{"code":0,"message":"ok"},"backup":[]}]
            """;

    @Test
    void readsPgBackRestsOwnOutput() throws IOException {
        BackupCatalog c = BackupCatalog.parse(realInfo(), "src");
        assertThat(c.exists()).isTrue();
        assertThat(c.backups()).hasSize(1);
        BackupCatalog.Set b = c.backups().get(0);
        assertThat(b.type()).isEqualTo(BackupType.FULL);
        assertThat(b.member()).isNotBlank();
        assertThat(b.size()).isPositive();
        assertThat(b.repoSize()).isPositive().isLessThanOrEqualTo(b.size());
        assertThat(b.walStart()).hasSize(24);
        assertThat(c.walMin()).isNotNull();
    }

    @Test
    void skipsBackupsWithErrorsAndEntriesItCannotRead() {
        BackupCatalog c = BackupCatalog.parse(TWO, "app");
        assertThat(c.backups())
                .extracting(BackupCatalog.Set::label)
                .containsExactly("20261129-100000F", "20261129-100000F_20261129-110000I");
        assertThat(c.backups().get(0).member()).isEqualTo("a");
        assertThat(c.backups().get(1).member()).isNull();
        assertThat(c.walMax()).isEqualTo("000000020000000000000009");
        assertThat(BackupCatalog.parse(TWO, "missing").exists()).isFalse();
    }

    /** Each row: target -> the backup a restore starts from (none: no backup early enough). */
    @ParameterizedTest(name = "{0} {1} -> {2}")
    @CsvSource(delimiter = '|', textBlock = """
            LATEST |                                   | 20261129-100000F_20261129-110000I
            NAME   | before-migration                  | 20261129-100000F_20261129-110000I
            TIME   | 2026-11-29 10:30:00.000000+00:00  | 20261129-100000F
            TIME   | 2026-11-29 11:01:01.000000+00:00  | 20261129-100000F_20261129-110000I
            TIME   | 2026-11-29 10:01:00.000000+00:00  |
            TIME   | 2026-11-29 10:00:59.000000+00:00  |
            LSN    | 0/4000000                         | 20261129-100000F
            LSN    | 0/2000100                         | 20261129-100000F
            LSN    | 0/20000FF                         |
            """)
    void restoresStartFromTheNewestBackupThatFinishedBeforeTheTarget(String kind, String value, String expected) {
        BackupCatalog c = BackupCatalog.parse(TWO, "app");
        RecoveryTarget target = kind.equals("LATEST")
                ? RecoveryTarget.latest()
                : RecoveryTarget.of(RecoveryTarget.Kind.valueOf(kind), value);
        assertThat(c.baseFor(target).map(BackupCatalog.Set::label).orElse(null)).isEqualTo(expected);
    }

    @Test
    void explainsWhyNoBackupFits() {
        BackupCatalog c = BackupCatalog.parse(TWO, "app");
        RecoveryTarget early = RecoveryTarget.of(RecoveryTarget.Kind.TIME, "2026-11-29 09:00:00.000000+00:00");
        assertThat(c.explainNoBase(early))
                .isEqualTo(
                        "no backup of cluster app finished before time 2026-11-29 09:00:00.000000+00:00: the oldest, "
                                + "20261129-100000F, finished at " + Instant.ofEpochSecond(1795946460)
                                + " (WAL position "
                                + "0/2000100)");
        assertThat(BackupCatalog.parse(TWO, "other").explainNoBase(RecoveryTarget.latest()))
                .isEqualTo("the repository holds no backup of cluster other (ok)");
    }

    @Test
    void garbageIsAClearError() {
        assertThatThrownBy(() -> BackupCatalog.parse("not json", "app"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("pgBackRest's info is not JSON");
        assertThatThrownBy(() -> BackupCatalog.parse("{\"a\":1}", "app"))
                .hasMessage("pgBackRest's info is not a list of stanzas");
    }
}
