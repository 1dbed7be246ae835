package dev.pgha.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * A leader whose data volume fills past postgres.diskFullPercent goes read-only instead of crashing, says so on
 * /flycheck/role, and takes writes again once space is freed. The volume is a 256 MB tmpfs this test mounts (and
 * unmounts, even after a failure); it needs root, and skips with one line without it.
 */
class DiskFullIT {
    private static final String PASSWORD = PghaCluster.PASSWORD;

    @Test
    void aLeaderOnAFullVolumeGoesReadOnlyAndRecoversWhenSpaceIsFreed() throws Exception {
        Path base = TestDirs.create("pgha-diskfull");
        Path volume = base.resolve("node");
        Files.createDirectories(volume);
        boolean mounted = false;
        try {
            mounted = run("mount", "-t", "tmpfs", "-o", "size=256m,mode=0755", "pgha-diskfull", volume.toString()) == 0;
            Assumptions.assumeTrue(mounted, "DiskFullIT skipped: cannot mount a tmpfs volume (needs root)");
            try (PghaNode node = new PghaNode(base, "node").withFreePorts()) {
                node.env.put("PGHA_NODE_ID", "full");
                node.env.put("SU_PASSWORD", "su-diskfull-password");
                node.env.put("REPL_PASSWORD", "repl-diskfull-password");
                node.env.put("OPERATOR_PASSWORD", PASSWORD);
                node.start().awaitReady(Duration.ofSeconds(90));
                execute(node, "CREATE TABLE t (x int)");
                execute(node, "INSERT INTO t VALUES (1)");
                assertThat(HttpProbe.get(node.httpPort(), "/flycheck/role")
                                .body()
                                .strip())
                        .isEqualTo("leader");

                // Fill the volume to 95% with a file of the platform's (an upload, a log): postgres must not crash.
                Path ballast = volume.resolve("ballast");
                FileStore fs = Files.getFileStore(volume);
                long used = fs.getTotalSpace() - fs.getUnallocatedSpace();
                long fill = (long) (fs.getTotalSpace() * 0.95) - used;
                try (RandomAccessFile f = new RandomAccessFile(ballast.toFile(), "rw")) {
                    byte[] chunk = new byte[1 << 20];
                    for (long written = 0; written < fill; written += chunk.length) {
                        f.write(chunk, 0, (int) Math.min(chunk.length, fill - written));
                    }
                }
                await().atMost(Duration.ofSeconds(30))
                        .pollInterval(Duration.ofMillis(200))
                        .ignoreExceptions()
                        .until(() -> HttpProbe.get(node.httpPort(), "/flycheck/role")
                                .body()
                                .strip()
                                .equals("readonly"));
                assertThat(node.out())
                        .containsPattern("\\[keeper\\] data volume 9\\d% full \\(postgres.diskFullPercent "
                                + "is 90\\): postgres is read-only until space is freed or the volume grows");
                assertThatThrownBy(() -> execute(node, "INSERT INTO t VALUES (2)"))
                        .isInstanceOfSatisfying(
                                SQLException.class,
                                e -> assertThat(e.getSQLState()).isEqualTo("25006"));
                // Reads still work, and the rows are all there.
                assertThat(PghaCluster.ids(node, "t")).containsExactly(1L);
                // The operator cannot turn the guard off by hand through pgha: it names the setting to use instead.
                PghaCli.Result refused = PghaCli.run(node, "config", "set", "default_transaction_read_only=off");
                assertThat(refused.code()).isEqualTo(1);
                assertThat(refused.err()).contains("postgres.diskFullPercent (PGHA_DISK_FULL_PERCENT)");

                Files.delete(ballast);
                await().atMost(Duration.ofSeconds(30))
                        .pollInterval(Duration.ofMillis(200))
                        .ignoreExceptions()
                        .until(() -> HttpProbe.get(node.httpPort(), "/flycheck/role")
                                .body()
                                .strip()
                                .equals("leader"));
                execute(node, "INSERT INTO t VALUES (2)");
                assertThat(PghaCluster.ids(node, "t")).containsExactlyInAnyOrder(1L, 2L);
                assertThat(node.out()).contains("postgres accepts writes again");
                assertThat(node.stop(Duration.ofSeconds(60))).isZero();
            }
        } finally {
            if (mounted) {
                run("umount", volume.toString());
            }
            TestDirs.delete(base);
        }
    }

    private static void execute(PghaNode node, String sql) throws SQLException {
        try (Connection c = node.connect(node.proxyPort(), "postgres", PASSWORD);
                Statement st = c.createStatement()) {
            st.execute(sql);
        }
    }

    private static int run(String... cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .start();
        return p.waitFor(30, TimeUnit.SECONDS) ? p.exitValue() : -1;
    }
}
