package dev.pgha.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.pgha.common.config.PghaConfig;
import dev.pgha.common.secret.Secret;
import dev.pgha.common.secret.SecretStore;
import dev.pgha.store.ZooKeeperAuth;
import dev.pgha.store.ZooKeeperStore;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.RetryOneTime;
import org.apache.zookeeper.KeeperException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The control plane of a running single-node cluster, tried as an attacker would: ZooKeeper without the store
 * secret, or with a wrong one; and, with the secret, store values that would run commands as postgres.
 */
class SecurityIT {
    private static final Duration READY = Duration.ofSeconds(90);
    private static final String PASSWORD = "security-it-operator-password";

    private static PghaNode node;

    @BeforeAll
    static void startNode() throws Exception {
        node = PghaNode.inNewDir("pgha-security").withFreePorts();
        node.env.put("PGHA_NODE_ID", "solo");
        node.env.put("OPERATOR_PASSWORD", PASSWORD);
        node.start().awaitReady(READY);
    }

    @AfterAll
    static void stopNode() throws Exception {
        if (node != null) {
            node.close();
        }
    }

    private static String zooKeeper() {
        return "127.0.0.1:" + node.env.get("PGHA_ZK_PORT");
    }

    private static Path secretsFile() {
        return node.dataDir.resolve("pgha").resolve(SecretStore.FILE_NAME);
    }

    private static Secret storeSecret() {
        PghaConfig.Secrets none =
                new PghaConfig.Secrets(Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty());
        return new SecretStore(node.dataDir.resolve("pgha"))
                .existingStoreSecret(none)
                .orElseThrow(() -> new AssertionError("the node stored no store secret"));
    }

    private static String show(String parameter) throws Exception {
        try (Connection c = node.connect(node.pgPort(), "postgres", PASSWORD);
                Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT current_setting('" + parameter + "')")) {
            rs.next();
            return rs.getString(1);
        }
    }

    @Test
    void aZooKeeperClientWithoutTheSecretCanNeitherReadNorWrite() throws Exception {
        try (CuratorFramework anonymous =
                CuratorFrameworkFactory.newClient(zooKeeper(), 2000, 2000, new RetryOneTime(100))) {
            anonymous.start();
            assertThatThrownBy(() -> anonymous.getData().forPath("/pgha/pgha/view"))
                    .isInstanceOf(KeeperException.class);
            assertThatThrownBy(() -> anonymous.getChildren().forPath("/pgha/pgha/members"))
                    .isInstanceOf(KeeperException.class);
            assertThatThrownBy(() -> anonymous.create().forPath("/pgha/pgha/restarts/solo"))
                    .isInstanceOf(KeeperException.class);
            assertThatThrownBy(() -> anonymous.create().forPath("/elsewhere")).isInstanceOf(KeeperException.class);
        }
    }

    @Test
    void anAdminCommandWithAWrongSecretIsRefusedAndSaysWhatToSet() throws Exception {
        node.env.put("PGHA_STORE_SECRET", "a-wrong-store-secret");
        PghaCli.Result status;
        try {
            status = PghaCli.run(node, "status");
        } finally {
            node.env.remove("PGHA_STORE_SECRET");
        }
        assertThat(status.code()).as(status.toString()).isEqualTo(1);
        assertThat(status.err())
                .contains("refused pgha's credentials (SASL DIGEST-MD5 as user pgha-pgha)")
                .contains("PGHA_STORE_SECRET")
                .doesNotContain("a-wrong-store-secret");
        PghaCli.Result ok = PghaCli.run(node, "status");
        assertThat(ok.code()).as(ok.toString()).isZero();
    }

    @Test
    void parametersThatRunCommandsNeverReachPostgresEvenFromTheStore() throws Exception {
        Path marker = node.baseDir.resolve("pwned");
        try (ZooKeeperStore store = ZooKeeperStore.connect(
                zooKeeper(),
                "pgha",
                new ZooKeeperAuth("pgha", storeSecret()),
                Duration.ofSeconds(5),
                Duration.ofSeconds(10),
                "the node's ZooKeeper")) {
            // what the CLI refuses, written straight into the store by someone who holds the secret
            store.setParameters(Map.of(
                    "archive_mode", "on",
                    "archive_command", "touch " + marker,
                    "archive_timeout", "1s",
                    "cluster_name", "hijacked",
                    "work_mem", "7MB"));
            await().atMost(Duration.ofSeconds(30))
                    .ignoreExceptions()
                    .until(() -> show("work_mem").equals("7MB"));
            store.requestRestart("solo");
            await().atMost(Duration.ofSeconds(60)).until(() -> node.log().contains("restarting postgres"));
            await().atMost(Duration.ofSeconds(60))
                    .ignoreExceptions()
                    .until(() -> show("work_mem").equals("7MB"));
            store.setParameters(Map.of());
        }
        assertThat(show("archive_mode")).isEqualTo("off");
        assertThat(show("archive_command")).isNotEqualTo("touch " + marker);
        assertThat(show("cluster_name")).isNotEqualTo("hijacked");
        assertThat(marker).doesNotExist();
        assertThat(node.log())
                .contains("parameter from the cluster store skipped: archive_command runs commands or loads code")
                .contains("parameter from the cluster store skipped: cluster_name is managed by pgha");
    }

    @Test
    void configSetRefusesALibraryThatWouldLockEveryoneOut() throws Exception {
        PghaCli.Result set = PghaCli.run(node, "config", "set", "session_preload_libraries=/nonexistent.so");
        assertThat(set.code()).as(set.toString()).isEqualTo(1);
        assertThat(set.err()).contains("session_preload_libraries runs commands or loads code");
        try (Connection c = node.connect(node.proxyPort(), "postgres", PASSWORD)) {
            assertThat(c.isValid(5)).isTrue();
        }
    }

    @Test
    void anAtFileArgumentIsNotReadSoItsSecretsAreNotPrinted() throws Exception {
        PghaCli.Result drop = PghaCli.run(node, "db", "drop", "@" + secretsFile());
        assertThat(drop.code()).as(drop.toString()).isNotZero();
        String secrets = Files.readString(secretsFile(), StandardCharsets.UTF_8);
        String printed = drop.out() + drop.err();
        for (String value : secrets.split("\"")) {
            if (value.matches("[0-9a-f]{32,}")) {
                assertThat(printed).doesNotContain(value);
            }
        }
        assertThat(printed).doesNotContain(storeSecret().reveal());
    }

    @Test
    void aParameterThatKeepsPostgresFromStartingIsRevertedAndTheClusterServesAgain() throws Exception {
        // each accepted by postgres, and on a reload it keeps its TLS settings; fatal at the next start, since no TLS
        // version is at least 1.3 and at most 1.2
        PghaCli.Result set = PghaCli.run(
                node, "config", "set", "ssl_min_protocol_version=TLSv1.3", "ssl_max_protocol_version=TLSv1.2");
        assertThat(set.code()).as(set.toString()).isZero();
        PghaCli.Result restart = PghaCli.run(node, "config", "set", "--restart");
        // whatever the restart command concluded, the cluster serves again within a minute, as before
        await().atMost(Duration.ofSeconds(60))
                .ignoreExceptions()
                .until(() -> node.log().contains("parameters reverted: postgres did not start with ssl_m")
                        && show("ssl_min_protocol_version").equals("TLSv1.2"));
        try (Connection c = node.connect(node.proxyPort(), "postgres", PASSWORD)) {
            assertThat(c.isValid(5)).as(restart.toString()).isTrue();
        }
        PghaCli.Result status = PghaCli.run(node, "status");
        assertThat(status.out() + status.err())
                .contains("parameters reverted: postgres did not start with ssl_max_protocol_version, "
                        + "ssl_min_protocol_version");

        PghaCli.Result reset =
                PghaCli.run(node, "config", "set", "ssl_min_protocol_version=", "ssl_max_protocol_version=");
        assertThat(reset.code()).as(reset.toString()).isZero();
    }
}
