package dev.pgha.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.pgha.common.secret.Secret;
import dev.pgha.store.ZooKeeperAuth;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.curator.test.TestingServer;
import org.junit.jupiter.api.Test;

/**
 * A leader that loses its ZooKeeper session fences itself and stays fenced for as long as the store is away (a
 * cached "you lead" is never trusted again), then serves again once a new session exists; unless, in a cluster of
 * several members, failsafe mode lets it serve on: every other member promised not to promote. External ZooKeeper:
 * curator-test's TestingServer, stopped and restarted on the same port.
 */
class StoreOutageIT {
    private static final String PASSWORD = "outage-test-password";
    private static final String STORE_SECRET = "outage-store-secret";

    @Test
    void aLeaderCutOffFromTheStoreFencesAndStaysFencedUntilTheStoreIsBack() throws Exception {
        // an external ZooKeeper set up for pgha: it accepts the cluster's identity only (user pgha-pgha)
        new ZooKeeperAuth("pgha", Secret.of(STORE_SECRET)).configureServers();
        try (TestingServer zk = new TestingServer(PghaNode.freePort(), true);
                PghaNode node = PghaNode.inNewDir("pgha-outage").withFreePorts()) {
            node.env.put("PGHA_ZK_CONNECT", zk.getConnectString());
            node.env.put("PGHA_NODE_ID", "solo");
            node.env.put("SU_PASSWORD", "su-outage-password");
            node.env.put("REPL_PASSWORD", "repl-outage-password");
            node.env.put("OPERATOR_PASSWORD", PASSWORD);
            node.env.put("PGHA_STORE_SECRET", STORE_SECRET);
            node.start().awaitReady(Duration.ofSeconds(90));
            execute(node, PASSWORD, "CREATE TABLE kept(x int); INSERT INTO kept VALUES (42)");

            zk.stop();
            await().atMost(Duration.ofSeconds(30))
                    .until(() -> node.log().contains("fencing: stopping the local primary"));
            int fencedAt = node.log().lastIndexOf("fencing: stopping the local primary");
            Thread.sleep(8000);
            // No restart from the cached view while the store is away: postgres stays down, clients get 57P03.
            assertThat(node.log().substring(fencedAt)).doesNotContain("starting postgres");
            assertThat(node.postgresProcesses()).as(node::log).isEmpty();
            assertThatThrownBy(() -> node.connect(node.proxyPort(), "postgres", PASSWORD))
                    .isInstanceOfSatisfying(
                            SQLException.class, e -> assertThat(e.getSQLState()).isEqualTo("57P03"));

            zk.restart();
            await().atMost(Duration.ofSeconds(60))
                    .pollInterval(Duration.ofMillis(200))
                    .ignoreExceptions()
                    .until(() -> query(node, PASSWORD, "SELECT x FROM kept").equals(List.of(42)));
            assertThat(node.stop(Duration.ofSeconds(60))).isZero();
            assertThat(node.postgresProcesses()).as(node::log).isEmpty();
        }
    }

    private static final Duration OUTAGE = Duration.ofSeconds(30);

    @Test
    void withFailsafeAThreeNodeClusterKeepsWritingThroughAStoreOutageWithNoLeaderChange() throws Exception {
        new ZooKeeperAuth("pgha", Secret.of(STORE_SECRET)).configureServers();
        try (TestingServer zk = new TestingServer(PghaNode.freePort(), true);
                PghaCluster cluster = new PghaCluster("pgha-failsafe", zk.getConnectString(), STORE_SECRET, 3)) {
            cluster.start();
            PghaNode leader = cluster.awaitLeader(null, 2, PghaCluster.READY);
            PghaNode standby =
                    cluster.nodes.stream().filter(n -> n != leader).findFirst().orElseThrow();
            long generation = cluster.view().generation();
            int changes = cluster.history().size();
            try (AppendWriter viaLeader = new AppendWriter(leader, "through_leader");
                    AppendWriter viaStandby = new AppendWriter(standby, "through_standby")) {
                viaLeader.awaitMore(100, Duration.ofSeconds(30));
                viaStandby.awaitMore(100, Duration.ofSeconds(30));
                long failedBefore = viaLeader.failures.get() + viaStandby.failures.get();

                zk.stop();
                long stoppedAt = System.nanoTime();
                await().atMost(Duration.ofSeconds(30))
                        .until(() -> leader.log().contains("all 2 other members promised not to promote"));
                int leaderAcks = viaLeader.acknowledged.size();
                int standbyAcks = viaStandby.acknowledged.size();
                Thread.sleep(OUTAGE.toMillis()
                        - Duration.ofNanos(System.nanoTime() - stoppedAt).toMillis());
                // writes went on through the leader's proxy and a standby's, and none failed
                assertThat(viaLeader.acknowledged.size())
                        .as(cluster.logTails(40))
                        .isGreaterThan(leaderAcks + 100);
                assertThat(viaStandby.acknowledged.size())
                        .as(cluster.logTails(40))
                        .isGreaterThan(standbyAcks + 100);
                assertThat(viaLeader.failures.get() + viaStandby.failures.get())
                        .as(() -> "through the leader: " + viaLeader.failureReasons + "\nthrough a standby: "
                                + viaStandby.failureReasons + "\n" + cluster.logTails(40))
                        .isEqualTo(failedBefore);
                assertThat(leader.log()).doesNotContain("fencing: stopping the local primary");

                zk.restart();
                await().atMost(Duration.ofSeconds(60))
                        .ignoreExceptions()
                        .until(() -> cluster.view().routable());
                viaLeader.awaitMore(100, Duration.ofSeconds(30));
                Thread.sleep(15_000); // longer than cluster.failTimeout: a needless failover would have begun
                assertThat(cluster.view().leader()).as(cluster.logTails(40)).isEqualTo(leader.memberId());
                assertThat(cluster.history()).hasSize(changes);
                assertThat(cluster.view().generation()).isGreaterThanOrEqualTo(generation);
                assertThat(viaLeader.failures.get() + viaStandby.failures.get())
                        .as(() -> "through the leader: " + viaLeader.failureReasons + "\nthrough a standby: "
                                + viaStandby.failureReasons + "\n" + cluster.logTails(40))
                        .isEqualTo(failedBefore);
            }
        }
    }

    @Test
    void withOneMemberUnreachableTheLeaderFencesWhenTheStoreGoesAway() throws Exception {
        new ZooKeeperAuth("pgha", Secret.of(STORE_SECRET)).configureServers();
        try (TestingServer zk = new TestingServer(PghaNode.freePort(), true);
                PghaCluster cluster = new PghaCluster("pgha-failsafe-down", zk.getConnectString(), STORE_SECRET, 3)) {
            cluster.start();
            PghaNode leader = cluster.awaitLeader(null, 2, PghaCluster.READY);
            List<PghaNode> standbys =
                    cluster.nodes.stream().filter(n -> n != leader).toList();
            execute(leader, PghaCluster.PASSWORD, "CREATE TABLE kept(x int); INSERT INTO kept VALUES (42)");
            standbys.get(0).killNode(); // still a registered member: it cannot promise anything
            cluster.awaitLeader(null, 1, Duration.ofSeconds(30));

            zk.stop();
            await().atMost(Duration.ofSeconds(30))
                    .until(() -> leader.log().contains("fencing: stopping the local primary"));
            assertThat(leader.log())
                    .contains("failsafe: the cluster store does not answer and not every member promised ("
                            + standbys.get(0).memberId() + ": unreachable");
            assertThatThrownBy(() -> execute(standbys.get(1), PghaCluster.PASSWORD, "INSERT INTO kept VALUES (43)"))
                    .isInstanceOf(SQLException.class);

            zk.restart();
            await().atMost(Duration.ofSeconds(90))
                    .pollInterval(Duration.ofMillis(200))
                    .ignoreExceptions()
                    .until(() -> query(standbys.get(1), PghaCluster.PASSWORD, "SELECT x FROM kept")
                            .equals(List.of(42)));
        }
    }

    private static void execute(PghaNode node, String password, String sql) throws SQLException {
        try (Connection c = node.connect(node.proxyPort(), "postgres", password);
                Statement st = c.createStatement()) {
            st.execute(sql);
        }
    }

    private static List<Integer> query(PghaNode node, String password, String sql) throws SQLException {
        try (Connection c = node.connect(node.proxyPort(), "postgres", password);
                Statement st = c.createStatement();
                ResultSet rs = st.executeQuery(sql)) {
            List<Integer> values = new ArrayList<>();
            while (rs.next()) {
                values.add(rs.getInt(1));
            }
            return values;
        }
    }
}
