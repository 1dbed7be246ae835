package dev.pgha.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pgha.common.config.PghaConfig;
import dev.pgha.common.config.ZkPeer;
import dev.pgha.common.secret.Secret;
import dev.pgha.common.secret.SecretStore;
import dev.pgha.store.ZooKeeperAuth;
import dev.pgha.store.ZooKeeperPeer;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Optional;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.RetryOneTime;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.ZooDefs;
import org.junit.jupiter.api.Test;

/**
 * A single node whose store was written by a version without store authentication (every znode open to anyone):
 * its first start on this version closes them, says so, and loses nothing.
 */
class StoreUpgradeIT {
    private static final String PASSWORD = "upgrade-it-operator-password";

    @Test
    void openZnodesOfAnEarlierVersionAreClosedOnTheFirstStartAndNothingIsLost() throws Exception {
        try (PghaNode node = PghaNode.inNewDir("pgha-upgrade").withFreePorts()) {
            node.env.put("PGHA_NODE_ID", "solo");
            node.env.put("OPERATOR_PASSWORD", PASSWORD);
            node.start().awaitReady(Duration.ofSeconds(90));
            execute(node, "CREATE TABLE kept(x int); INSERT INTO kept VALUES (7)");
            assertThat(node.stop(Duration.ofSeconds(60))).isZero();

            int opened = openEveryZnode(node);
            assertThat(opened)
                    .as("znodes made world-writable, as an earlier version left them")
                    .isGreaterThan(5);

            node.start().awaitReady(Duration.ofSeconds(90));
            assertThat(node.log())
                    .contains("znode(s) of /pgha/pgha were open to any ZooKeeper client")
                    .contains("they now belong to pgha-pgha only");
            try (CuratorFramework anonymous = CuratorFrameworkFactory.newClient(
                    "127.0.0.1:" + node.env.get("PGHA_ZK_PORT"), 2000, 2000, new RetryOneTime(100))) {
                anonymous.start();
                assertThatThrownBy(() -> anonymous.getData().forPath("/pgha/pgha/view"))
                        .isInstanceOf(KeeperException.class);
            }
            try (Connection c = node.connect(node.proxyPort(), "postgres", PASSWORD);
                    Statement st = c.createStatement();
                    ResultSet rs = st.executeQuery("SELECT x FROM kept")) {
                assertThat(rs.next()).isTrue();
                assertThat(rs.getInt(1)).isEqualTo(7);
            }
        }
    }

    /**
     * Opens the stopped node's ZooKeeper data in this JVM and gives every znode of the cluster the world ACL that
     * versions without store authentication created them with; returns how many.
     */
    private static int openEveryZnode(PghaNode node) throws Exception {
        PghaConfig.Secrets none =
                new PghaConfig.Secrets(Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty());
        Secret secret = new SecretStore(node.dataDir.resolve("pgha"))
                .existingStoreSecret(none)
                .orElseThrow();
        ZooKeeperAuth auth = new ZooKeeperAuth("pgha", secret);
        Path zookeeper = node.dataDir.resolve("zookeeper");
        int id = ZooKeeperPeer.memberOf(zookeeper).orElseThrow();
        ZkPeer server =
                new ZkPeer(id, "127.0.0.1", PghaNode.freePort(), PghaNode.freePort(), "127.0.0.1", PghaNode.freePort());
        int opened = 0;
        try (ZooKeeperPeer zk = ZooKeeperPeer.start(zookeeper, List.of(server), id, Duration.ofMillis(250), auth);
                CuratorFramework client = CuratorFrameworkFactory.builder()
                        .connectString(zk.connectString())
                        .retryPolicy(new RetryOneTime(100))
                        .zkClientConfig(auth.clientConfig())
                        .build()) {
            client.start();
            Deque<String> todo = new ArrayDeque<>(List.of("/pgha/pgha"));
            while (!todo.isEmpty()) {
                String path = todo.pop();
                client.setACL().withACL(ZooDefs.Ids.OPEN_ACL_UNSAFE).forPath(path);
                opened++;
                for (String child : client.getChildren().forPath(path)) {
                    todo.push(path + "/" + child);
                }
            }
        }
        return opened;
    }

    private static void execute(PghaNode node, String sql) throws Exception {
        try (Connection c = node.connect(node.proxyPort(), "postgres", PASSWORD);
                Statement st = c.createStatement()) {
            st.execute(sql);
        }
    }
}
