package dev.pgha.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.pgha.keeper.Keeper;
import dev.pgha.proxy.ProxyRouter;
import dev.pgha.sentinel.Sentinel;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** A single-node cluster run as a container runs it: {@code pgha start} with only PGHA_DATA_DIR set. */
class SingleNodeIT {
    private static final int SCHED_OTHER = 0;
    private static final int SCHED_RR = 2;
    private static final Duration READY = Duration.ofSeconds(60);
    private static final Duration STOP = Duration.ofSeconds(60);

    private PghaNode node;

    @BeforeEach
    void setUp() throws IOException {
        node = PghaNode.inNewDir("pgha-single");
        node.env.remove("PGHA_PG_MEMORY"); // exactly what a container sets: PGHA_DATA_DIR only
        if (!defaultPortsFree()) {
            // Something on this machine holds 5432/5433/2181/2888/3888: same behaviour, other ports.
            System.out.println("default ports busy here; SingleNodeIT uses free ports instead");
            node.withFreePorts();
        }
    }

    @AfterEach
    void tearDown() throws Exception {
        node.close();
    }

    @Test
    void freshNodeServesThroughTheProxyStopsCleanlyAndKeepsItsRowsAcrossRestarts() throws Exception {
        node.start().awaitReady(READY);

        // The generated credentials are printed once, with a ready connection string through the proxy.
        String password =
                node.printedPassword().orElseThrow(() -> new AssertionError("no password in:\n" + node.banner()));
        String url = node.proxyUrl(password);
        assertThat(node.banner())
                .contains("Connect:       postgres://postgres:" + password + "@localhost:" + node.proxyPort()
                        + "/postgres");
        assertThat(node.out()).as("the log stream").doesNotContain(password);

        // psql through the proxy writes rows...
        PgTools.Result created = PgTools.psql(
                url,
                "CREATE TABLE notes(id int PRIMARY KEY, body text); "
                        + "INSERT INTO notes SELECT g, 'note ' || g FROM generate_series(1, 100) g; "
                        + "SELECT count(*) FROM notes");
        assertThat(created.exitCode()).as(created.output()).isZero();
        assertThat(created.lines()).last().isEqualTo("100");

        // ... which postgres itself serves on PG_PORT, the port the proxy routed to.
        try (Connection direct = node.connect(node.pgPort(), "postgres", password);
                Statement st = direct.createStatement();
                ResultSet rs = st.executeQuery("SELECT count(*), sum(id) FROM notes")) {
            rs.next();
            assertThat(rs.getLong(1)).isEqualTo(100);
            assertThat(rs.getLong(2)).isEqualTo(5050);
        }
        assertThat(PgTools.psql(url, "SELECT inet_server_port()").output()).isEqualTo(Integer.toString(node.pgPort()));

        // No secret on any command line.
        long postmaster = node.postmasterPid().orElseThrow();
        assertThat(commandLine(node.pid())).doesNotContain(password);
        assertThat(commandLine(postmaster)).doesNotContain(password).contains("postgres");

        // The threads the store session rides on run at real-time priority (root has CAP_SYS_NICE); the proxy's
        // event loops, the rest of the JVM and postgres at normal priority.
        if ("root".equals(System.getProperty("user.name"))) {
            await().atMost(Duration.ofSeconds(30))
                    .untilAsserted(() -> assertThat(threadPolicies(node.pid()))
                            .containsEntry(Keeper.THREAD, Set.of(SCHED_RR))
                            .containsEntry(Sentinel.THREAD, Set.of(SCHED_RR))
                            .containsEntry(ProxyRouter.THREAD, Set.of(SCHED_RR))
                            .containsEntry("session-lease", Set.of(SCHED_RR))
                            .containsEntry("SessionTracker", Set.of(SCHED_RR))
                            .containsEntry("main-SendThread", Set.of(SCHED_RR))
                            .containsEntry("VM Thread", Set.of(SCHED_RR))
                            .containsEntry("realtime-thread", Set.of(SCHED_RR)));
            Map<String, Set<Integer>> policies = threadPolicies(node.pid());
            assertThat(policies).containsEntry("Finalizer", Set.of(SCHED_OTHER));
            assertThat(policies.keySet().stream().filter(n -> n.matches("proxy-[0-9]+-[0-9]+")))
                    .isNotEmpty()
                    .allSatisfy(n -> assertThat(policies.get(n)).containsOnly(SCHED_OTHER));
            assertThat(policy(Path.of("/proc", Long.toString(postmaster), "stat")))
                    .isEqualTo(SCHED_OTHER);
        }

        // SIGTERM: exit 0 and no postgres left behind.
        assertThat(node.stop(STOP)).as(node.log()).isZero();
        assertThat(ProcessHandle.of(postmaster).map(ProcessHandle::isAlive).orElse(false))
                .isFalse();
        assertThat(node.postgresProcesses()).isEmpty();
        assertThat(node.out()).contains("[keeper] postgres stopped").endsWith("INFO  [pgha] stopped\n");

        // Start again: same data, same password, nothing printed again.
        node.start().awaitReady(READY);
        assertThat(node.banner()).doesNotContain("Password:");
        assertThat(node.out()).doesNotContain("initdb").doesNotContain(password);
        PgTools.Result after = PgTools.psql(url, "SELECT count(*) FROM notes");
        assertThat(after.output()).isEqualTo("100");
        assertThat(node.stop(STOP)).isZero();
        assertThat(node.postgresProcesses()).isEmpty();
    }

    @Test
    void aCrashedPostgresIsRestartedAndServesAgain() throws Exception {
        node.start().awaitReady(READY);
        String url = node.proxyUrl(node.printedPassword().orElseThrow());
        assertThat(PgTools.psql(url, "CREATE TABLE t(x int); INSERT INTO t VALUES (42)")
                        .exitCode())
                .isZero();
        long first = node.postmasterPid().orElseThrow();

        ProcessHandle.of(first).orElseThrow().destroyForcibly(); // kill -9 of the postmaster
        await().atMost(Duration.ofSeconds(30)).until(() -> node.log().contains("exited unexpectedly"));
        await().atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofMillis(200))
                .until(() -> PgTools.psql(url, "SELECT x FROM t").output().equals("42"));
        assertThat(node.postmasterPid().orElseThrow()).isNotEqualTo(first);
        assertThat(node.log()).contains("[keeper] postgres (pid " + first + ") exited unexpectedly with code");
        assertThat(node.stop(STOP)).isZero();
        assertThat(node.postgresProcesses()).isEmpty();
    }

    @Test
    void postgresOrphanedByAKilledDaemonIsStoppedBeforeTheRestartedDaemonTakesOver() throws Exception {
        node.start().awaitReady(READY);
        String password = node.printedPassword().orElseThrow();
        String url = node.proxyUrl(password);
        assertThat(PgTools.psql(url, "CREATE TABLE kept(x int); INSERT INTO kept VALUES (7)")
                        .exitCode())
                .isZero();
        long orphan = node.postmasterPid().orElseThrow();

        node.kill9(); // the daemon dies; postgres, in its own session, lives on
        assertThat(ProcessHandle.of(orphan).map(ProcessHandle::isAlive).orElse(false))
                .isTrue();

        node.start().awaitReady(READY);
        assertThat(node.log()).contains("found postgres (pid " + orphan + ") still running from an earlier pgha run");
        assertThat(ProcessHandle.of(orphan).map(ProcessHandle::isAlive).orElse(false))
                .isFalse();
        assertThat(node.postmasterPid().orElseThrow()).isNotEqualTo(orphan);
        assertThat(PgTools.psql(url, "SELECT x FROM kept").output()).isEqualTo("7");
        assertThat(node.stop(STOP)).isZero();
        assertThat(node.postgresProcesses()).isEmpty();
    }

    @Test
    void afterNodeDeathTheStalePostmasterPidIsHandledAndCommittedRowsSurvive() throws Exception {
        node.start().awaitReady(READY);
        String password = node.printedPassword().orElseThrow();
        String url = node.proxyUrl(password);
        assertThat(PgTools.psql(url, "CREATE TABLE durable(x int); INSERT INTO durable SELECT generate_series(1, 1000)")
                        .exitCode())
                .isZero();
        long postmaster = node.postmasterPid().orElseThrow();

        // The machine dies: daemon and postmaster are killed together, leaving postmaster.pid behind.
        node.kill9();
        ProcessHandle pm = ProcessHandle.of(postmaster).orElseThrow();
        pm.destroyForcibly();
        assertThat(PghaNode.waitForExit(pm, Duration.ofSeconds(10))).isTrue();
        assertThat(node.pgData().resolve("postmaster.pid")).exists();

        node.start().awaitReady(READY);
        assertThat(PgTools.psql(url, "SELECT count(*) FROM durable").output()).isEqualTo("1000");
        assertThat(node.log()).doesNotContain("still running from an earlier pgha run");
        assertThat(node.stop(STOP)).isZero();
        assertThat(node.postgresProcesses()).isEmpty();
    }

    private static String commandLine(long pid) throws IOException {
        byte[] raw = Files.readAllBytes(Path.of("/proc", Long.toString(pid), "cmdline"));
        return new String(raw, StandardCharsets.UTF_8).replace('\0', ' ');
    }

    private static boolean defaultPortsFree() {
        return Stream.of(5432, 5433, 2181, 2888, 3888).allMatch(port -> {
            try (ServerSocket s = new ServerSocket(port)) {
                return true;
            } catch (IOException e) {
                return false;
            }
        });
    }

    /** Each thread name (as Linux keeps it) of process {@code pid}, with the scheduling policies its threads have. */
    private static Map<String, Set<Integer>> threadPolicies(long pid) throws IOException {
        Map<String, Set<Integer>> policies = new HashMap<>();
        try (Stream<Path> tasks = Files.list(Path.of("/proc", Long.toString(pid), "task"))) {
            for (Path task : tasks.toList()) {
                try {
                    String comm = Files.readString(task.resolve("comm")).strip();
                    policies.computeIfAbsent(comm, c -> new HashSet<>()).add(policy(task.resolve("stat")));
                } catch (IOException e) {
                    // the thread ended meanwhile
                }
            }
        }
        return policies;
    }

    /** The scheduling policy in a stat file (field 41 of proc(5)). */
    private static int policy(Path stat) throws IOException {
        String line = Files.readString(stat);
        return Integer.parseInt(line.substring(line.lastIndexOf(')') + 2).split(" ")[41 - 3]);
    }
}
