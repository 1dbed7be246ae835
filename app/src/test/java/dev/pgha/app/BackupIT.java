package dev.pgha.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Backups with pgBackRest on a filesystem repository shared by a 3-node cluster: WAL archived from the leader, a
 * base backup through `pgha backup create`, point-in-time restores into new single-node clusters (to a time, to the
 * end of the archive, to just before a DROP TABLE), a repository that stops taking WAL for a while under writes, and
 * a restore that spans a failover. Real postgres, real pgBackRest, separate JVMs. The cluster also serves to check
 * that the dashboard and the alerting rules under ops/ read only series a live cluster with backups exposes.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class BackupIT {
    private static final Duration RESTORE = Duration.ofSeconds(120);

    private PghaCluster cluster;
    private Path repo;
    private final List<PghaNode> restored = new ArrayList<>();

    @BeforeAll
    void startCluster() throws Exception {
        cluster = new PghaCluster("pgha-backup", 3, 0);
        repo = cluster.baseDir.resolve("repo"); // created by pgha, owned by postgres
        for (PghaNode n : cluster.nodes) {
            n.env.put("PGHA_BACKUP_PATH", repo.toString());
            n.env.put("PGHA_BACKUP_ARCHIVE_MAX_AGE", "5s");
        }
        cluster.start();
        cluster.awaitLeader(null, 2, PghaCluster.READY);
    }

    @AfterAll
    void stop() throws Exception {
        for (PghaNode n : restored) {
            n.close();
        }
        cluster.close();
    }

    @Test
    @Order(0)
    void theDashboardAndTheAlertsReadOnlySeriesTheClusterExposes() throws Exception {
        String leader = cluster.view().leader();
        Set<String> exposed = new TreeSet<>();
        for (PghaNode n : cluster.nodes) {
            String member = n.memberId();
            // the series the leader-only and standby-only alerts read say what the member is (a scrape reads the
            // standby's WAL receiver then, and the spec is read after each change of it)
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                String scrape = HttpProbe.get(n.metricsPort(), "/metrics").body();
                assertThat(scrape).contains("cluster=\"pgha\"").contains("member=\"" + member + "\"");
                assertThat(sample(scrape, "pgha_synchronous_mode")).isEqualTo(1);
                double streaming = sample(scrape, "pgha_replication_streaming");
                if (member.equals(leader)) {
                    assertThat(streaming).as("the leader streams from no one").isNaN();
                } else {
                    assertThat(streaming).isEqualTo(1);
                }
                exposed.addAll(OpsFiles.scrapedNames(scrape));
            });
        }
        Set<String> used = OpsFiles.metricNames();
        assertThat(used).contains("pgha_is_leader", "pg_stat_replication_pg_wal_lsn_diff", "pgha_backup_running");
        Set<String> missing = new TreeSet<>(used);
        missing.removeAll(exposed);
        assertThat(missing)
                .as("series ops/ queries that no member of a live cluster exposes")
                .isEmpty();
    }

    /** The value of a series that has one sample in a scrape. */
    private static double sample(String scrape, String name) {
        Matcher m = Pattern.compile("(?m)^" + name + "\\{[^}]*} (\\S+)$").matcher(scrape);
        assertThat(m.find()).as("%s in the scrape", name).isTrue();
        return Double.parseDouble(m.group(1));
    }

    @Test
    @Order(1)
    void restoresToATimeToTheEndAndToJustBeforeADrop() throws Exception {
        PghaNode leader = cluster.node(cluster.view().leader());
        NodeSql.execute(
                leader, "CREATE TABLE items (i int PRIMARY KEY)", "INSERT INTO items SELECT generate_series(1, 1000)");

        PghaCli.Result backup = PghaCli.run(leader, "backup", "create");
        assertThat(backup.code()).as(backup.err()).isZero();
        assertThat(backup.out())
                .containsPattern("backup \\d{8}-\\d{6}F \\(full\\) taken on member " + leader.memberId());
        PghaCli.Result list = PghaCli.run(cluster.nodes.get(2), "backup", "list");
        assertThat(list.code()).as(list.err()).isZero();
        assertThat(list.out()).contains("full").contains(leader.memberId()).contains("stanza pgha (ok), 1 backups");

        NodeSql.execute(leader, "INSERT INTO items SELECT generate_series(1001, 2000)");
        String t = NodeSql.query(leader, "SELECT now()::text");
        Thread.sleep(1100);
        NodeSql.execute(leader, "INSERT INTO items SELECT generate_series(2001, 3000)");
        String beforeDrop = NodeSql.query(leader, "SELECT now()::text");
        Thread.sleep(1100);
        NodeSql.execute(leader, "DROP TABLE items");
        NodeSql.archiveCurrentSegment(leader);

        PghaNode toT = restore("restored-time", Map.of("PGHA_RESTORE_TARGET_TIME", t));
        assertThat(NodeSql.query(toT, "SELECT count(*) || ' ' || min(i) || ' ' || max(i) FROM items"))
                .isEqualTo("2000 1 2000");
        assertThat(toT.out()).contains("restoring backup ").contains("replaying its archive to time ");

        PghaNode latest = restore("restored-latest", Map.of());
        assertThat(NodeSql.query(latest, "SELECT count(*)::text FROM pg_class WHERE relname = 'items'"))
                .isEqualTo("0");

        PghaNode justBefore = restore("restored-before-drop", Map.of("PGHA_RESTORE_TARGET_TIME", beforeDrop));
        assertThat(NodeSql.query(justBefore, "SELECT count(*)::text FROM items"))
                .isEqualTo("3000");
        // a restored cluster is a new cluster: it archives into its own stanza, and serves writes
        NodeSql.execute(justBefore, "INSERT INTO items VALUES (3001)");
        assertThat(Files.isDirectory(repo.resolve("archive/restored-before-drop")))
                .isTrue();
        for (PghaNode n : List.of(toT, latest, justBefore)) {
            n.close();
        }

        // the files only, for an operator: pgha restore --into, then postgres started by hand replays and promotes
        Path into = cluster.baseDir.resolve("by-hand");
        PghaCli.Result files = PghaCli.run(leader, "restore", "--into", into.toString(), "--to-time", t);
        assertThat(files.code()).as(files.err()).isZero();
        assertThat(files.out()).contains("restored backup ").contains("replays the archive to time ");
        assertThat(rowsAfterStartingByHand(into)).isEqualTo("2000");
        PghaCli.Result again = PghaCli.run(leader, "restore", "--into", into.toString());
        assertThat(again.code()).isEqualTo(1);
        assertThat(again.err()).contains(into + " is not empty: restore into a new or empty directory");
    }

    /** Starts postgres on a restored directory as its OS user would, waits for the promotion, counts, stops it. */
    private static String rowsAfterStartingByHand(Path pgdata) throws Exception {
        int port = PghaNode.freePort();
        String options = "-p " + port + " -c listen_addresses=127.0.0.1 -c unix_socket_directories=" + pgdata
                + " -c archive_mode=off -c ssl=off";
        pgCtl(
                pgdata,
                "-w",
                "-t",
                "120",
                "-o",
                options,
                "-l",
                pgdata.resolve("by-hand.log").toString(),
                "start");
        try {
            String url = "postgresql://postgres:" + PghaCluster.PASSWORD + "@127.0.0.1:" + port
                    + "/postgres?sslmode=disable";
            await().atMost(Duration.ofSeconds(60))
                    .pollInterval(Duration.ofMillis(200))
                    .until(() -> PgTools.psql(url, "SELECT pg_is_in_recovery()")
                            .output()
                            .equals("f"));
            return PgTools.psql(url, "SELECT count(*) FROM items").output();
        } finally {
            pgCtl(pgdata, "-m", "immediate", "-w", "stop");
        }
    }

    /** pg_ctl on {@code pgdata} as the postgres OS user, as an operator runs it. */
    private static void pgCtl(Path pgdata, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(
                "setpriv",
                "--reuid=postgres",
                "--regid=postgres",
                "--init-groups",
                PgTools.binDir().resolve("pg_ctl").toString(),
                "-D",
                pgdata.toString()));
        command.addAll(List.of(args));
        run(command);
    }

    private static void run(List<String> command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(150, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new AssertionError(String.join(" ", command) + " failed: " + out);
        }
    }

    @Test
    @Order(2)
    void aRepositoryThatStopsTakingWalDoesNotStopWritesAndTheArchiveCatchesUpWithoutAGap() throws Exception {
        PghaNode leader = cluster.node(cluster.view().leader());
        NodeSql.execute(leader, "CREATE TABLE outage (i bigint PRIMARY KEY, pad text)");
        Path archive = repo.resolve("archive/pgha");
        AtomicBoolean writing = new AtomicBoolean(true);
        AtomicLong written = new AtomicLong();
        Thread writer = new Thread(() -> {
            try (Connection c = leader.connect(leader.proxyPort(), "postgres", PghaCluster.PASSWORD);
                    Statement st = c.createStatement()) {
                // ~2 MB of WAL a second: a segment every 8 s, so the outage leaves several waiting, while the
                // catching up and the restore replay stay short (unthrottled, a minute wrote ~1 GB: 110 s more)
                while (writing.get()) {
                    long next = written.get() + 1;
                    st.execute("INSERT INTO outage SELECT g, repeat('x', 500) FROM generate_series(" + (next * 1000)
                            + ", " + (next * 1000 + 199) + ") g");
                    written.set(next);
                    Thread.sleep(50);
                }
            } catch (SQLException | InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        writer.start();
        try {
            Files.setPosixFilePermissions(archive, PosixFilePermissions.fromString("---------"));
            long outageStart = System.nanoTime();
            await().atMost(Duration.ofSeconds(60))
                    .pollInterval(Duration.ofMillis(500))
                    .untilAsserted(() -> {
                        HttpProbe.Reply pg = HttpProbe.get(leader.httpPort(), "/flycheck/pg");
                        assertThat(pg.status()).isEqualTo(500);
                        assertThat(pg.body()).contains("wal archiving: failing since");
                    });
            PghaCli.Result status = PghaCli.run(leader, "status");
            assertThat(status.out()).contains("health checks failing: pg (wal archiving: failing since");
            long before = written.get();
            // a minute without a repository, under writes
            Thread.sleep(Math.max(5000, 60_000 - (System.nanoTime() - outageStart) / 1_000_000));
            assertThat(written.get())
                    .as("writes continue while the repository fails")
                    .isGreaterThan(before + 5);
            // WAL waits in pg_wal (bounded by backup.archiveQueueMax); pgBackRest's own spool holds status files only
            assertThat(sizeOf(leader.dataDir.resolve("pgbackrest/spool"))).isLessThan(1 << 20);
            // several segments wait for the repository, so the restore below shows there is no gap
            String failing = HttpProbe.get(leader.httpPort(), "/flycheck/pg").body();
            Matcher waiting = Pattern.compile("(\\d+) segments waiting").matcher(failing);
            assertThat(waiting.find()).as(failing).isTrue();
            assertThat(Integer.parseInt(waiting.group(1))).as(failing).isGreaterThanOrEqualTo(3);
        } finally {
            Files.setPosixFilePermissions(archive, PosixFilePermissions.fromString("rwxr-x---"));
            writing.set(false);
            writer.join(30_000);
        }
        long rows = Long.parseLong(NodeSql.query(leader, "SELECT count(*)::text FROM outage"));
        NodeSql.archiveCurrentSegment(leader);
        await().atMost(Duration.ofSeconds(90))
                .pollInterval(Duration.ofMillis(500))
                .untilAsserted(() -> assertThat(
                                HttpProbe.get(leader.httpPort(), "/flycheck/pg").body())
                        .contains("wal archiving: last archived")
                        .doesNotContain("waiting"));
        // no gap: a restore replays every segment written during the outage
        PghaNode copy = restore("restored-outage", Map.of());
        assertThat(NodeSql.query(copy, "SELECT count(*)::text FROM outage")).isEqualTo(Long.toString(rows));
        copy.close();
    }

    @Test
    @Order(3)
    void aRestoreSpansAFailoverWithEveryAcknowledgedWriteOfBothTimelines() throws Exception {
        PghaNode a = cluster.node(cluster.view().leader());
        NodeSql.execute(a, "CREATE TABLE acked (i int PRIMARY KEY)");
        PghaCli.Result backup = PghaCli.run(a, "backup", "create");
        assertThat(backup.code()).as(backup.err()).isZero();
        for (int i = 1; i <= 100; i++) {
            NodeSql.execute(
                    a, "INSERT INTO acked VALUES (" + i + ")"); // acknowledged on A's timeline (synchronous standby)
        }
        // a new leader's postgres archives its first files (the timeline's history, the old timeline's last segment)
        // while its keeper checks the stanza: pgBackRest's archive-push holds the stanza's archive lock meanwhile,
        // held here on every member that may be chosen until the check is done
        Map<PghaNode, Long> ready = new HashMap<>();
        List<Process> locks = new ArrayList<>();
        PghaNode b;
        try {
            for (PghaNode n : cluster.nodes) {
                ready.put(n, count(n, STANZA_READY));
                if (n != a) {
                    locks.add(holdArchiveLock(n));
                }
            }
            a.kill9();
            b = cluster.awaitLeader(a.memberId(), 0, Duration.ofSeconds(60));
            awaitStanzaCheck(b, ready.get(b));
        } finally {
            for (Process lock : locks) {
                release(lock);
            }
        }
        for (int i = 101; i <= 200; i++) {
            NodeSql.execute(b, "INSERT INTO acked VALUES (" + i + ")");
        }
        NodeSql.archiveCurrentSegment(b);
        PghaNode copy = restore("restored-failover", Map.of());
        assertThat(NodeSql.query(copy, "SELECT count(*) || ' ' || max(i) FROM acked"))
                .isEqualTo("200 200");
        copy.close();
    }

    @Test
    @Order(4)
    void aRestoreThatCannotReachItsTargetSaysWhatIsMissingAndLeavesNothingBehind() throws Exception {
        PghaNode early =
                restoreNode("restored-too-early", Map.of("PGHA_RESTORE_TARGET_TIME", "2001-01-01 00:00:00+00"));
        assertThat(early.runToExit(RESTORE)).isEqualTo(1);
        assertThat(early.banner())
                .contains("cannot restore to time 2001-01-01 00:00:00.000000+00:00: no backup of cluster pgha finished"
                        + " before time 2001-01-01 00:00:00.000000+00:00: the oldest, ");
        assertThat(postgresFiles(early)).isEmpty();

        PghaNode unknown = restoreNode("restored-unknown", Map.of("PGHA_RESTORE_FROM", "no-such-cluster"));
        assertThat(unknown.runToExit(RESTORE)).isEqualTo(1);
        assertThat(unknown.banner()).contains("the repository holds no backup of cluster no-such-cluster");
        assertThat(postgresFiles(unknown)).isEmpty();

        PghaNode unreachable = restoreNode(
                "restored-s3",
                Map.of(
                        "PGHA_BACKUP_S3_ENDPOINT", "127.0.0.1:" + PghaNode.freePort(),
                        "PGHA_BACKUP_S3_BUCKET", "backups",
                        "PGHA_BACKUP_S3_REGION", "us-east-1",
                        "PGHA_BACKUP_S3_KEY", "access-key-id",
                        "PGHA_BACKUP_S3_SECRET", "s3-secret-never-shown",
                        "PGHA_BACKUP_S3_URI_STYLE", "path"));
        unreachable.env.remove("PGHA_BACKUP_PATH");
        assertThat(unreachable.runToExit(RESTORE)).isEqualTo(1);
        assertThat(unreachable.banner())
                .contains(
                        "cannot restore from cluster pgha: reading the S3 repository s3://backups/pgbackrest at 127.0.0.1:")
                .contains("failed: [HostConnectError] unable to connect to");
        assertThat(unreachable.banner() + unreachable.out()).doesNotContain("s3-secret-never-shown");
        assertThat(postgresFiles(unreachable)).isEmpty();
    }

    private static final String STANZA_READY = "backups: stanza pgha is ready in the repository";

    private static long count(PghaNode n, String text) {
        return n.logLines().stream().filter(l -> l.contains(text)).count();
    }

    /** Waits for {@code leader}'s stanza check of its leadership (the log had {@code before} of them), which passes. */
    private void awaitStanzaCheck(PghaNode leader, long before) {
        await().atMost(Duration.ofSeconds(20))
                .pollInterval(Duration.ofMillis(200))
                .untilAsserted(() -> assertThat(count(leader, STANZA_READY))
                        .as(
                                "the stanza check of the new leader %s, while postgres's archive-push holds its lock:%n%s",
                                leader.memberId(), cluster.logTails(20))
                        .isGreaterThan(before));
        assertThat(leader.logLines()).noneMatch(l -> l.contains("cannot create stanza"));
    }

    /**
     * Takes {@code node}'s archive lock of stanza pgha as pgBackRest's archive-push does (flock, as postgres's OS
     * user) and holds it until {@link #release}.
     */
    private static Process holdArchiveLock(PghaNode node) throws IOException {
        Path lock = node.dataDir.resolve("pgbackrest/lock/pgha-archive.lock");
        Process p = new ProcessBuilder(
                        "setpriv",
                        "--reuid=postgres",
                        "--regid=postgres",
                        "--init-groups",
                        "flock",
                        "-o",
                        lock.toString(),
                        "sleep",
                        "300")
                .redirectErrorStream(true)
                .start();
        // flock runs sleep once it holds the lock
        await().atMost(Duration.ofSeconds(10))
                .pollInterval(Duration.ofMillis(20))
                .until(() -> p.descendants().findAny().isPresent() || !p.isAlive());
        assertThat(p.isAlive()).as("flock on %s", lock).isTrue();
        return p;
    }

    private static void release(Process lock) throws InterruptedException {
        lock.descendants().forEach(ProcessHandle::destroy);
        lock.destroy();
        lock.waitFor(10, TimeUnit.SECONDS);
    }

    private static long sizeOf(Path dir) throws IOException {
        try (var files = Files.walk(dir)) {
            return files.filter(Files::isRegularFile)
                    .mapToLong(f -> f.toFile().length())
                    .sum();
        }
    }

    private static Set<String> postgresFiles(PghaNode n) throws IOException {
        if (!Files.isDirectory(n.pgData())) {
            return Set.of();
        }
        try (var files = Files.list(n.pgData())) {
            return Set.copyOf(files.map(p -> p.getFileName().toString()).toList());
        }
    }

    /** A new single-node cluster restored from this cluster's backups, ready. */
    private PghaNode restore(String name, Map<String, String> env) throws IOException {
        PghaNode n = restoreNode(name, env);
        n.start();
        try {
            n.awaitReady(RESTORE);
        } catch (AssertionError | RuntimeException e) {
            throw new AssertionError("restore " + name + " failed:\n" + n.log(), e);
        }
        return n;
    }

    private PghaNode restoreNode(String name, Map<String, String> env) throws IOException {
        PghaNode n = PghaNode.inNewDir("pgha-" + name).withFreePorts();
        restored.add(n);
        n.env.put("FLY_APP_NAME", name);
        n.env.put("PGHA_BACKUP_PATH", repo.toString());
        n.env.put("PGHA_RESTORE_FROM", "pgha");
        n.env.put("OPERATOR_PASSWORD", PghaCluster.PASSWORD);
        n.env.put("SU_PASSWORD", "another-su-password");
        n.env.put("REPL_PASSWORD", "another-repl-password");
        n.env.putAll(env);
        return n;
    }
}
