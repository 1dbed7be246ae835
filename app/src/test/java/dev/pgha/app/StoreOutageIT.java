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
 * cached "you lead" is never trusted again), then serves again once a new session exists. External ZooKeeper:
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
            execute(node, "CREATE TABLE kept(x int); INSERT INTO kept VALUES (42)");

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
                    .until(() -> query(node, "SELECT x FROM kept").equals(List.of(42)));
            assertThat(node.stop(Duration.ofSeconds(60))).isZero();
            assertThat(node.postgresProcesses()).as(node::log).isEmpty();
        }
    }

    private static void execute(PghaNode node, String sql) throws SQLException {
        try (Connection c = node.connect(node.proxyPort(), "postgres", PASSWORD);
                Statement st = c.createStatement()) {
            st.execute(sql);
        }
    }

    private static List<Integer> query(PghaNode node, String sql) throws SQLException {
        try (Connection c = node.connect(node.proxyPort(), "postgres", PASSWORD);
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
