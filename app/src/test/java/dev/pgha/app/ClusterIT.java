package dev.pgha.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.pgha.common.model.Cause;
import dev.pgha.common.model.KeeperStatus;
import java.io.IOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Three-node clusters on 127.0.0.1, each node a separate {@code pgha start} JVM with its own postgres and ZooKeeper
 * peer: replication, failover with fencing, rejoin, and the faults a fleet sees (node death, daemon crash, a
 * paused daemon).
 */
class ClusterIT {
    private static final Duration FAILOVER = Duration.ofSeconds(60);
    private static final Duration REJOIN = Duration.ofSeconds(90);

    private PghaCluster cluster;

    @AfterEach
    void tearDown() throws Exception {
        if (cluster != null) {
            cluster.close();
        }
    }

    private PghaNode startThreeNodes() throws Exception {
        cluster = new PghaCluster("pgha-cluster", 3, 0).start();
        return cluster.awaitLeader(null, 2, PghaCluster.READY);
    }

    private List<PghaNode> others(PghaNode leader) {
        return cluster.nodes.stream().filter(n -> n != leader).toList();
    }

    @Test
    void leaderNodeDeathLosesNoAcknowledgedWriteAndTheOldLeaderRejoinsAsAStandby() throws Exception {
        PghaNode leader = startThreeNodes();
        PghaNode survivor = others(leader).get(0);
        PghaNode third = others(leader).get(1);

        // A write through any node's proxy lands on the leader; reads on a standby's own port see it.
        assertThat(PghaCluster.servedBy(survivor)).isEqualTo(leader.pgPort() + " primary");
        AppendWriter writer = new AppendWriter(survivor, "appends");
        writer.awaitMore(50, Duration.ofSeconds(30));
        cluster.awaitStandbyWith(third, "(SELECT 1 FROM appends LIMIT 1) x", 1, Duration.ofSeconds(30));

        // The read-only port sends clients to a standby.
        int readOnlyPort = Integer.parseInt(survivor.env.get("PGHA_READONLY_PORT"));
        await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() -> {
            try (Connection ro = survivor.connect(readOnlyPort, "postgres", PghaCluster.PASSWORD)) {
                return queryBoolean(ro, "SELECT pg_is_in_recovery()");
            }
        });

        // Health checks: each member reports its own role; a standby checks its leader and its lag.
        assertRole(leader, "leader");
        assertRole(survivor, "replica");
        assertThat(HttpProbe.get(leader.httpPort(), "/primary").status()).isEqualTo(200);
        assertThat(HttpProbe.get(survivor.httpPort(), "/primary").status()).isEqualTo(503);
        assertThat(HttpProbe.get(survivor.httpPort(), "/replica?lag=1GB").status())
                .isEqualTo(200);
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            HttpProbe.Reply pg = HttpProbe.get(survivor.httpPort(), "/flycheck/pg");
            assertThat(pg.status()).as(pg.body()).isEqualTo(200);
            assertThat(pg.lines()).hasSize(4);
            assertThat(pg.lines().get(0)).startsWith("[✓] transactions: readonly (");
            assertThat(pg.lines().get(1)).startsWith("[✓] leader check: connected (");
            assertThat(pg.lines().get(2)).matches("\\[✓\\] replication lag: \\S+, [\\d.]+ (B|kB|MB) behind \\(.+\\)");
            assertThat(pg.lines().get(3)).matches("\\[✓\\] connections: \\d+ used, 3 reserved, 300 max \\(.+\\)");
        });
        HttpProbe.Reply leaderPg = HttpProbe.get(leader.httpPort(), "/flycheck/pg");
        assertThat(leaderPg.body())
                .startsWith("[✓] replication: currently leader (")
                .contains("replication lag of " + survivor.memberId() + ": ")
                .contains("replication lag of " + third.memberId() + ": ");

        // The member whose node runs the ZooKeeper ensemble's leader says so in its status, and no other: failovers
        // prefer the others, whose loss costs no store election.
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            List<String> leading = new ArrayList<>();
            List<String> modes = new ArrayList<>();
            String[] clientAddresses = cluster.zkConnect.split(","); // the ensemble's servers, in the nodes' order
            for (int i = 0; i < cluster.nodes.size(); i++) {
                PghaNode n = cluster.nodes.get(i);
                String mode = zooKeeperMode(clientAddresses[i]);
                modes.add(n.memberId() + ": " + mode);
                if (mode.equals("leader")) {
                    leading.add(n.memberId());
                }
            }
            assertThat(leading).as("the ZooKeeper servers' modes: %s", modes).hasSize(1);
            assertThat(cluster.snapshot().keepers().values().stream()
                            .filter(KeeperStatus::hostsStoreLeader)
                            .map(KeeperStatus::memberId))
                    .containsExactlyElementsOf(leading);
        });

        // A client connected through a proxy before the failover.
        Connection before = survivor.connect(survivor.proxyPort(), "postgres", PghaCluster.PASSWORD);

        leader.killNode();
        // Its postgres gone too, as when a node dies: a postmaster that is still dying lets the kernel complete a
        // connection to its listening socket and then resets it, and the proxy's client sees a bare failure (08001).
        await().atMost(Duration.ofSeconds(30))
                .until(() -> leader.postgresProcesses().isEmpty());
        // A client connecting during the failover is held, then reaches the new leader.
        CompletableFuture<String> during = CompletableFuture.supplyAsync(() -> {
            try (Connection c = survivor.connect(survivor.proxyPort(), "postgres", PghaCluster.PASSWORD);
                    Statement st = c.createStatement();
                    ResultSet rs = st.executeQuery("SELECT inet_server_port(), pg_is_in_recovery()")) {
                rs.next();
                return rs.getInt(1) + (rs.getBoolean(2) ? " standby" : " primary");
            } catch (SQLException e) {
                return "failed: " + e.getSQLState() + " " + e.getMessage();
            }
        });
        PghaNode next = cluster.awaitLeader(leader.dataDir.getFileName().toString(), 0, FAILOVER);
        assertThat(during.get(30, TimeUnit.SECONDS))
                .as("a client that connected during the failover\n%s", cluster.logTails(40))
                .isEqualTo(next.pgPort() + " primary");
        writer.awaitMore(50, FAILOVER);
        writer.close();

        // The checks follow the new roles; every member saw one change of leader and timed the failover.
        assertRole(next, "leader");
        assertThat(HttpProbe.get(next.httpPort(), "/primary").status()).isEqualTo(200);
        assertThat(HttpProbe.get(next.httpPort(), "/replica").status()).isEqualTo(503);
        PghaNode remaining = next == survivor ? third : survivor;
        assertRole(remaining, "replica");
        for (PghaNode n : List.of(next, remaining)) {
            String metrics = HttpProbe.get(n.metricsPort(), "/metrics").body();
            String labels = "\\{cluster=\"pgha\",member=\"" + n.memberId() + "\"\\}";
            assertThat(metrics)
                    .containsPattern("(?m)^pgha_leader_changes_total" + labels + " 1\\.0$")
                    .containsPattern("(?m)^pgha_failover_duration_seconds_count" + labels + " 1$")
                    .containsPattern("(?m)^pgha_is_leader" + labels + " " + (n == next ? "1" : "0") + "\\.0$");
        }

        // Every acknowledged write is on the new leader, exactly once.
        Set<Long> present = PghaCluster.ids(next, "appends");
        assertThat(present).containsAll(writer.acknowledged);
        assertThat(PghaCluster.servedBy(survivor)).isEqualTo(next.pgPort() + " primary");
        assertThat(PghaCluster.servedBy(third)).isEqualTo(next.pgPort() + " primary");
        // The connection from before was closed by the proxy; a new one reaches the new leader.
        assertThatThrownBy(() -> query(before, "SELECT 1")).isInstanceOf(SQLException.class);
        before.close();

        // The killed node comes back: pg_rewind, then it streams from the new leader and has every row.
        leader.start();
        cluster.awaitStandbyWith(leader, "appends", present.size(), REJOIN);
        assertThat(leader.log()).contains("rewound the data onto member " + next.dataDir.getFileName());
        assertThat(cluster.view().leader()).isEqualTo(next.dataDir.getFileName().toString());
        // (a node joining the running cluster: GrowIT; one on the store as a client: the region scenario below)
    }

    @Test
    void aCrashedLeaderDaemonIsReplacedAndItsOrphanedPostgresRejoinsAsAStandby() throws Exception {
        PghaNode leader = startThreeNodes();
        PghaNode survivor = others(leader).get(0);
        execute(survivor, "CREATE TABLE kept(x int); INSERT INTO kept SELECT generate_series(1, 500)");
        long orphan = leader.postmasterPid().orElseThrow();

        leader.kill9(); // the daemon dies; its postgres lives on as a primary
        PghaNode next = cluster.awaitLeader(leader.dataDir.getFileName().toString(), 0, FAILOVER);
        assertThat(ProcessHandle.of(orphan).map(ProcessHandle::isAlive).orElse(false))
                .isTrue();
        // No proxy routes to the orphan.
        for (PghaNode n : others(leader)) {
            assertThat(PghaCluster.servedBy(n)).isEqualTo(next.pgPort() + " primary");
        }
        execute(survivor, "INSERT INTO kept VALUES (501)");

        leader.start();
        cluster.awaitStandbyWith(leader, "kept", 501, REJOIN);
        assertThat(leader.log()).contains("found postgres (pid " + orphan + ") still running from an earlier pgha run");
        assertThat(ProcessHandle.of(orphan).map(ProcessHandle::isAlive).orElse(false))
                .isFalse();
    }

    @Test
    void aPausedLeaderNeverTakesWritesAgainAndRejoinsAsAStandby() throws Exception {
        PghaNode leader = startThreeNodes();
        PghaNode survivor = others(leader).get(0);
        execute(survivor, "CREATE TABLE paused(x int); INSERT INTO paused VALUES (1)");

        leader.pause(); // longer than the session timeout (2 s)
        PghaNode next = cluster.awaitLeader(leader.dataDir.getFileName().toString(), 0, FAILOVER);
        execute(survivor, "INSERT INTO paused VALUES (2)");
        int resumedAt = leader.log().length();
        leader.resume();
        // It stops taking writes because it knows its lease on the store ran out while it was paused, before it has
        // read the view that names another leader (a client straight on its port could read stale data until then).
        await().atMost(FAILOVER)
                .until(() -> leader.log().indexOf("fencing: stopping the local primary", resumedAt) >= 0);
        String fencing = leader.log()
                .substring(leader.log().indexOf("fencing: stopping the local primary", resumedAt))
                .lines()
                .findFirst()
                .orElseThrow();
        assertThat(fencing).contains("so another member may lead by now");

        // Through its own proxy, a write never lands on the old leader; directly on its port it is not acknowledged.
        await().atMost(FAILOVER)
                .ignoreExceptions()
                .until(() -> PghaCluster.servedBy(leader).equals(next.pgPort() + " primary"));
        assertThat(directWriteAcknowledged(leader))
                .as("a write on the old leader's own port")
                .isFalse();
        cluster.awaitStandbyWith(leader, "paused", 2, REJOIN);
        assertThat(leader.log()).contains("fencing: stopping the local primary");
        assertThat(PghaCluster.ids(next, "paused")).doesNotContain(3L);
    }

    @Test
    void theWholeClusterStopsCleanlyAndComesBackWithItsData() throws Exception {
        PghaNode leader = startThreeNodes();
        execute(leader, "CREATE TABLE lasting(x int); INSERT INTO lasting SELECT generate_series(1, 1000)");
        cluster.awaitStandbyWith(others(leader).get(1), "lasting", 1000, REJOIN);

        List<Thread> stops = cluster.nodes.stream()
                .map(n -> new Thread(() -> {
                    try {
                        assertThat(n.stop(Duration.ofSeconds(60))).as(n.log()).isZero();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }))
                .toList();
        stops.forEach(Thread::start);
        for (Thread t : stops) {
            t.join();
        }
        for (PghaNode n : cluster.nodes) {
            assertThat(n.postgresProcesses()).isEmpty();
        }

        // The former leader stays down: the two standbys must still elect one of themselves.
        for (PghaNode n : others(leader)) {
            n.start();
        }
        PghaNode next = cluster.awaitLeader(leader.dataDir.getFileName().toString(), 0, FAILOVER);
        assertThat(PghaCluster.ids(next, "lasting")).hasSize(1000);
        leader.start();
        cluster.awaitStandbyWith(leader, "lasting", 1000, REJOIN);
    }

    @Test
    void aMemberOutsideThePrimaryRegionOrTaggedNofailoverIsNeverPromoted() throws Exception {
        // Two database nodes and a witness: ams may lead, lhr may not (then a tagged third member joins).
        cluster = new PghaCluster("pgha-region", 3, 1);
        for (PghaNode n : cluster.nodes) {
            n.env.put("PRIMARY_REGION", "ams");
            n.env.put("FLY_REGION", "ams");
        }
        cluster.node("node-2").env.put("FLY_REGION", "lhr");
        cluster.start();
        PghaNode leader = cluster.awaitLeader(null, 0, PghaCluster.READY);
        assertThat(leader.dataDir.getFileName().toString()).isEqualTo("node-1");
        PghaNode lhr = cluster.node("node-2");
        execute(leader, "CREATE TABLE r(x int); INSERT INTO r VALUES (1)");
        cluster.awaitStandbyWith(lhr, "r", 1, REJOIN);
        // A third database member in ams, tagged: it could lead by region, but never does, and is never waited for.
        PghaNode tagged = cluster.addClientNode("node-4");
        tagged.env.put("PRIMARY_REGION", "ams");
        tagged.env.put("FLY_REGION", "ams");
        tagged.env.put("PGHA_TAGS", "nofailover=true,nosync=true");
        tagged.start();
        cluster.awaitStandbyWith(tagged, "r", 1, REJOIN);
        Thread.sleep(2000); // a few sentinel rounds: an untagged member would be in the synchronous set by now
        assertThat(cluster.view().synchronousNames()).doesNotContain("node-4");
        assertThat(NodeSql.query(leader, "SHOW synchronous_standby_names")).doesNotContain("node-4");
        assertThat(PghaCli.run(leader, "status").out()).containsPattern("(?m)^node-4 .*nofailover,nosync +-$");
        assertThat(cluster.node("node-3").log()).contains("ready: witness node-3");
        // a witness answers health checks too: a container HEALTHCHECK of `pgha check role` passes on it
        assertThat(HttpProbe.get(cluster.node("node-3").httpPort(), "/flycheck/role"))
                .isEqualTo(new HttpProbe.Reply(200, "witness\n"));
        assertThat(HttpProbe.get(cluster.node("node-3").httpPort(), "/liveness").status())
                .isEqualTo(200);

        leader.killNode();
        await().atMost(FAILOVER).ignoreExceptions().until(() -> cluster.view().cause() == Cause.NO_CANDIDATE);
        Thread.sleep(3000);
        assertThat(cluster.view().leader()).isNull();
        assertThat(cluster.view().explanation())
                .startsWith("no leader: ")
                .contains("node-2 is outside primary region ams")
                .contains("node-4 has tag nofailover");
        cluster.awaitStandbyWith(lhr, "r", 1, Duration.ofSeconds(5)); // still a read-only standby

        // Clients of the leaderless cluster are held, then told why in postgres's own terms: pgjdbc and psql.
        assertThatThrownBy(() -> lhr.connect(lhr.proxyPort(), "postgres", PghaCluster.PASSWORD))
                .isInstanceOfSatisfying(SQLException.class, e -> {
                    assertThat(e.getSQLState()).isEqualTo("57P03");
                    assertThat(e.getMessage()).contains("no leader available: no healthy standby to promote");
                });
        PgTools.Result psql = PgTools.psql(
                "postgres://postgres:" + PghaCluster.PASSWORD + "@127.0.0.1:" + lhr.proxyPort()
                        + "/postgres?connect_timeout=30",
                "SELECT 1");
        assertThat(psql.exitCode()).isEqualTo(2);
        assertThat(psql.output()).contains("FATAL:  no leader available: no healthy standby to promote");
    }

    // ---- helpers --------------------------------------------------------------------------------------------

    /** Tries one INSERT directly on the node's postgres port; false unless the commit was acknowledged. */
    private static boolean directWriteAcknowledged(PghaNode node) {
        try (Connection c = node.connect(node.pgPort(), "postgres", PghaCluster.PASSWORD);
                Statement st = c.createStatement()) {
            c.setNetworkTimeout(Runnable::run, 5000);
            st.execute("INSERT INTO paused VALUES (3)");
            return true;
        } catch (SQLException e) {
            return false;
        }
    }

    private static void execute(PghaNode via, String sql) throws SQLException {
        try (Connection c = via.connect(via.proxyPort(), "postgres", PghaCluster.PASSWORD);
                Statement st = c.createStatement()) {
            st.execute(sql);
        }
    }

    private static boolean queryBoolean(Connection c, String sql) throws SQLException {
        try (Statement st = c.createStatement();
                ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getBoolean(1);
        }
    }

    /** /flycheck/role answers the role (allowing the member time to converge to it). */
    private static void assertRole(PghaNode node, String role) {
        await().atMost(Duration.ofSeconds(30))
                .ignoreExceptions()
                .untilAsserted(() -> assertThat(HttpProbe.get(node.httpPort(), "/flycheck/role"))
                        .isEqualTo(new HttpProbe.Reply(200, role + "\n")));
    }

    /** What a ZooKeeper server (host:port) says it is (srvr: "leader", "follower"), or why it does not answer. */
    private static String zooKeeperMode(String address) {
        int colon = address.lastIndexOf(':');
        try (Socket socket = new Socket(address.substring(0, colon), Integer.parseInt(address.substring(colon + 1)))) {
            socket.setSoTimeout(5000);
            socket.getOutputStream().write("srvr".getBytes(StandardCharsets.US_ASCII));
            String reply = new String(socket.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
            return reply.lines()
                    .filter(l -> l.startsWith("Mode: "))
                    .map(l -> l.substring(6).strip())
                    .findFirst()
                    .orElse("");
        } catch (IOException | RuntimeException e) {
            return e.toString();
        }
    }

    private static void query(Connection c, String sql) throws SQLException {
        try (Statement st = c.createStatement();
                ResultSet rs = st.executeQuery(sql)) {
            rs.next();
        }
    }
}
