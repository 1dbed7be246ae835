package dev.pgha.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Backups in S3-compatible object storage (a real S3 server speaking HTTPS, started by the test) with the repository
 * encrypted: archiving, `pgha backup create`, a point-in-time restore into a new cluster, and a restore with the
 * wrong passphrase that stops with one line and leaves nothing behind. The S3 secret and the passphrase never
 * appear in any output.
 */
class S3BackupIT {
    private static final String S3_SECRET = "s3-secret-key-never-shown";
    private static final String CIPHER = "cipher-pass-never-shown";
    private static final Duration READY = Duration.ofSeconds(120);

    private final List<AutoCloseable> resources = new ArrayList<>();

    @AfterEach
    void stop() throws Exception {
        for (int i = resources.size() - 1; i >= 0; i--) {
            resources.get(i).close();
        }
    }

    @Test
    void anEncryptedS3RepositoryRestoresToATimeAndRefusesAWrongPassphrase() throws Exception {
        Path dir = TestDirs.create("pgha-s3");
        resources.add(() -> TestDirs.delete(dir));
        S3Server s3 = S3Server.start(dir);
        resources.add(s3);

        PghaNode source = node("s3-source", s3, CIPHER);
        source.start().awaitReady(READY);
        await().atMost(Duration.ofSeconds(60))
                .until(() -> source.out().contains("backups: stanza s3-source is ready in the repository"));
        NodeSql.execute(
                source, "CREATE TABLE items (i int PRIMARY KEY)", "INSERT INTO items SELECT generate_series(1, 1000)");
        PghaCli.Result backup = PghaCli.run(source, "backup", "create");
        assertThat(backup.code()).as(backup.err()).isZero();
        assertThat(backup.out()).contains("(full) taken on member");
        NodeSql.execute(source, "INSERT INTO items SELECT generate_series(1001, 2000)");
        String t = NodeSql.query(source, "SELECT now()::text");
        Thread.sleep(1100);
        NodeSql.execute(source, "INSERT INTO items SELECT generate_series(2001, 3000)");
        NodeSql.archiveCurrentSegment(source);
        // encrypted at rest: pgBackRest's info and manifest files start with "[backrest]" in the clear otherwise
        try (var objects = Files.walk(dir.resolve("objects"))) {
            for (Path object : objects.filter(Files::isRegularFile).toList()) {
                assertThat(new String(Files.readAllBytes(object), StandardCharsets.ISO_8859_1))
                        .as(object.toString())
                        .doesNotContain("[backrest]");
            }
        }

        PghaNode restored = node("s3-restored", s3, CIPHER);
        restored.env.put("PGHA_RESTORE_FROM", "s3-source");
        restored.env.put("PGHA_RESTORE_TARGET_TIME", t);
        restored.start().awaitReady(READY);
        assertThat(NodeSql.query(restored, "SELECT count(*) || ' ' || max(i) FROM items"))
                .isEqualTo("2000 2000");

        PghaNode wrong = node("s3-wrong-pass", s3, "not-the-passphrase");
        wrong.env.put("PGHA_RESTORE_FROM", "s3-source");
        assertThat(wrong.runToExit(READY)).isEqualTo(1);
        assertThat(wrong.banner())
                .startsWith("pgha: cannot restore from cluster s3-source: reading the S3 repository s3://backups"
                        + "/pgbackrest at localhost:");
        assertThat(Files.exists(wrong.pgData().resolve("PG_VERSION"))).isFalse();

        for (PghaNode n : List.of(source, restored, wrong)) {
            assertThat(n.log()).doesNotContain(S3_SECRET).doesNotContain(CIPHER);
        }
    }

    private PghaNode node(String cluster, S3Server s3, String cipher) throws Exception {
        PghaNode n = PghaNode.inNewDir("pgha-" + cluster).withFreePorts();
        resources.add(n);
        n.env.put("FLY_APP_NAME", cluster);
        n.env.put("OPERATOR_PASSWORD", PghaCluster.PASSWORD);
        n.env.putAll(Map.of(
                "PGHA_BACKUP_S3_ENDPOINT",
                s3.endpoint(),
                "PGHA_BACKUP_S3_BUCKET",
                S3Server.BUCKET,
                "PGHA_BACKUP_S3_REGION",
                "us-east-1",
                "PGHA_BACKUP_S3_KEY",
                "test-access-key",
                "PGHA_BACKUP_S3_SECRET",
                S3_SECRET,
                "PGHA_BACKUP_S3_URI_STYLE",
                "path",
                "PGHA_BACKUP_S3_CA_FILE",
                s3.caFile().toString(),
                "PGHA_BACKUP_CIPHER_PASS",
                cipher));
        return n;
    }
}
