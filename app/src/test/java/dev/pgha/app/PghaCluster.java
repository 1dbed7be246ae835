package dev.pgha.app;

import static org.awaitility.Awaitility.await;

import dev.pgha.common.config.PghaConfig;
import dev.pgha.common.model.ClusterView;
import dev.pgha.common.model.HistoryEntry;
import dev.pgha.common.secret.Secret;
import dev.pgha.common.secret.SecretStore;
import dev.pgha.common.store.ClusterSnapshot;
import dev.pgha.common.store.StoreEnsemble;
import dev.pgha.common.store.StoreException;
import dev.pgha.common.store.Versioned;
import dev.pgha.store.ZooKeeperAuth;
import dev.pgha.store.ZooKeeperStore;
import java.io.IOException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import org.awaitility.core.ConditionTimeoutException;

/**
 * N pgha nodes on 127.0.0.1, each a separate {@code pgha start} JVM with its own data directory and ports, and an
 * embedded ZooKeeper ensemble across them (PGHA_ZK_ENSEMBLE / PGHA_ZK_MYID), started exactly as an operator would.
 * {@link #close()} stops every node and every postgres they left, even after a failed test.
 */
final class PghaCluster implements AutoCloseable {
    static final String PASSWORD = "operator-test-password";
    static final Duration READY = Duration.ofSeconds(90);

    final Path baseDir;
    final List<PghaNode> nodes = new ArrayList<>();
    final String ensemble;
    final String zkConnect;
    private ZooKeeperStore observer;
    private Secret externalSecret; // the store secret of an external ensemble; null: the members derive it

    /**
     * @param voters how many nodes run a ZooKeeper peer; {@code witnesses} of them (the last ones) run with
     *               {@code --witness}: ZooKeeper and a sentinel only
     */
    PghaCluster(String prefix, int voters, int witnesses) throws IOException {
        baseDir = TestDirs.create(prefix);
        List<String> entries = new ArrayList<>();
        List<String> clients = new ArrayList<>();
        for (int i = 1; i <= voters; i++) {
            int client = PghaNode.freePort();
            entries.add(i + "=127.0.0.1:" + PghaNode.freePort() + ":" + PghaNode.freePort() + ";127.0.0.1:" + client);
            clients.add("127.0.0.1:" + client);
        }
        ensemble = String.join(",", entries);
        zkConnect = String.join(",", clients);
        for (int i = 1; i <= voters; i++) {
            PghaNode node = newNode("node-" + i);
            node.env.put("PGHA_ZK_ENSEMBLE", ensemble);
            node.env.put("PGHA_ZK_MYID", Integer.toString(i));
            if (i > voters - witnesses) {
                node.arg("--witness");
            }
        }
    }

    /**
     * {@code members} database nodes on an external ZooKeeper ({@code connect}) that accepts this cluster's identity
     * with {@code storeSecret} (see {@link ZooKeeperAuth#configureServers()}).
     */
    PghaCluster(String prefix, String connect, String storeSecret, int members) throws IOException {
        baseDir = TestDirs.create(prefix);
        ensemble = "";
        zkConnect = connect;
        externalSecret = Secret.of(storeSecret);
        for (int i = 1; i <= members; i++) {
            PghaNode node = newNode("node-" + i);
            node.env.put("PGHA_ZK_CONNECT", connect);
            node.env.put("PGHA_STORE_SECRET", storeSecret);
        }
    }

    /**
     * One node on its embedded default (a one-voter ZooKeeper), with the passwords set as an operator who means to
     * grow it would; further nodes come with {@link #join}.
     */
    static PghaCluster growing(String prefix) throws IOException {
        return new PghaCluster(prefix);
    }

    private PghaCluster(String prefix) throws IOException {
        baseDir = TestDirs.create(prefix);
        PghaNode first = newNode("node-1");
        ensemble = "";
        zkConnect = "127.0.0.1:" + first.env.get("PGHA_ZK_PORT");
    }

    /**
     * A new node that joins through {@code via}'s ZooKeeper (PGHA_JOIN), given the cluster's store secret as an
     * operator would copy it from a member's secrets file.
     */
    PghaNode join(String id, PghaNode via) throws IOException {
        PghaNode node = newNode(id);
        node.env.put("PGHA_JOIN", "127.0.0.1:" + via.env.get("PGHA_ZK_PORT"));
        node.env.put("PGHA_STORE_SECRET", storeSecret().reveal());
        return node;
    }

    /** ZooKeeper's own list of servers, read through the observer. */
    StoreEnsemble ensembleConfig() {
        return observer().ensemble().orElseThrow();
    }

    /** A further database node that uses the ensemble as an external store (PGHA_ZK_CONNECT). */
    PghaNode addClientNode(String id) throws IOException {
        PghaNode node = newNode(id);
        node.env.put("PGHA_ZK_CONNECT", zkConnect);
        return node;
    }

    private PghaNode newNode(String id) throws IOException {
        PghaNode node = new PghaNode(baseDir, id).withFreePorts();
        node.env.put("PGHA_NODE_ID", id);
        node.env.put("SU_PASSWORD", "su-test-password");
        node.env.put("REPL_PASSWORD", "repl-test-password");
        node.env.put("OPERATOR_PASSWORD", PASSWORD);
        node.env.put("PGHA_READONLY_PORT", Integer.toString(PghaNode.freePort()));
        nodes.add(node);
        return node;
    }

    PghaNode node(String id) {
        return nodes.stream()
                .filter(n -> n.dataDir.getFileName().toString().equals(id))
                .findFirst()
                .orElseThrow();
    }

    PghaCluster start() throws IOException {
        for (PghaNode n : nodes) {
            n.start();
        }
        return this;
    }

    /** The view as the sentinel wrote it. */
    ClusterView view() {
        ZooKeeperStore store = observer(); // connecting is not retried: a refusal is what some tests expect
        return read(() -> store.view().map(Versioned::value).orElse(ClusterView.initial()));
    }

    /** Leader changes as the sentinels recorded them, oldest first. */
    List<HistoryEntry> history() {
        ZooKeeperStore store = observer();
        return read(store::history);
    }

    /**
     * One read by this test's own client, tried again while the store cannot answer it: when a node stops, a client
     * connected to its ZooKeeper server gets ConnectionLoss until it has reconnected to another one (after a random
     * pause of up to a second, and an election when that server led), which a loaded machine can stretch past the
     * client's retries. What a read returns is never waited for.
     */
    private static <T> T read(Callable<T> read) {
        return await().atMost(Duration.ofSeconds(30))
                .pollDelay(Duration.ZERO)
                .pollInterval(Duration.ofMillis(200))
                .ignoreException(StoreException.class)
                .until(read, value -> true);
    }

    /** The running node whose sentinel says it is the elected one (exactly one must). */
    PghaNode electedSentinel() {
        List<PghaNode> elected = nodes.stream()
                .filter(PghaNode::alive)
                .filter(n -> n.logLines().stream()
                        .filter(l -> l.contains("elected: this member's sentinel now decides")
                                || l.contains("no longer the elected sentinel"))
                        .reduce((first, second) -> second)
                        .map(l -> !l.contains("no longer"))
                        .orElse(false))
                .toList();
        if (elected.size() != 1) {
            throw new AssertionError(elected.size() + " nodes say their sentinel is elected\n" + logTails(20));
        }
        return elected.get(0);
    }

    /** The cluster's state as its members read it. */
    ClusterSnapshot snapshot() {
        return observer().snapshot();
    }

    /**
     * The members derived the store secret from their shared passwords on their first start and keep it in their
     * secrets file; an observer takes it from there, as an operator would.
     */
    private ZooKeeperAuth storeAuth() {
        return new ZooKeeperAuth("pgha", storeSecret());
    }

    private Secret storeSecret() {
        if (externalSecret != null) {
            return externalSecret;
        }
        PghaConfig.Secrets none =
                new PghaConfig.Secrets(Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty());
        return nodes.stream()
                .map(n -> new SecretStore(n.dataDir.resolve("pgha")).existingStoreSecret(none))
                .flatMap(Optional::stream)
                .findFirst()
                .orElseThrow(() -> new AssertionError("no member has stored a store secret yet"));
    }

    private ZooKeeperStore observer() {
        if (observer == null) {
            observer = ZooKeeperStore.connect(
                    zkConnect, "pgha", storeAuth(), Duration.ofSeconds(5), Duration.ofSeconds(30), "test ensemble");
        }
        return observer;
    }

    /** Waits for a routable view whose leader is not {@code excluded}, with {@code standbys} standbys in sync. */
    PghaNode awaitLeader(String excluded, int syncStandbys, Duration timeout) {
        try {
            await().atMost(timeout)
                    .pollInterval(Duration.ofMillis(100))
                    .ignoreExceptions()
                    .until(() -> {
                        ClusterView v = view();
                        return v.routable()
                                && !v.leader().equals(excluded)
                                && v.synchronousNames().size() >= syncStandbys;
                    });
        } catch (ConditionTimeoutException e) {
            throw new AssertionError(
                    "no leader (other than " + excluded + ") with " + syncStandbys + " synchronous standbys within "
                            + timeout + "; view: " + describeView() + "\n" + logTails(60),
                    e);
        }
        return node(view().leader());
    }

    /** Waits until {@code node}'s postgres is a standby holding {@code rows} rows in {@code table}. */
    void awaitStandbyWith(PghaNode node, String table, long rows, Duration timeout) {
        await().atMost(timeout)
                .pollInterval(Duration.ofMillis(200))
                .ignoreExceptions()
                .until(() -> {
                    try (Connection c = node.connect(node.pgPort(), "postgres", PASSWORD);
                            Statement st = c.createStatement();
                            ResultSet rs = st.executeQuery(
                                    "SELECT pg_is_in_recovery(), (SELECT count(*) FROM " + table + ")")) {
                        rs.next();
                        return rs.getBoolean(1) && rs.getLong(2) == rows;
                    }
                });
    }

    /** One query through {@code node}'s proxy: (the postgres port that served it, whether it was a primary). */
    static String servedBy(PghaNode node) throws SQLException {
        try (Connection c = node.connect(node.proxyPort(), "postgres", PASSWORD);
                Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT inet_server_port(), pg_is_in_recovery()")) {
            rs.next();
            return rs.getInt(1) + (rs.getBoolean(2) ? " standby" : " primary");
        }
    }

    private String describeView() {
        try {
            return view().toString();
        } catch (RuntimeException e) {
            return "unreadable (" + e.getMessage() + ")";
        }
    }

    /** The last {@code lines} lines of every node but postgres's routine ones, for failure messages. */
    String logTails(int lines) {
        StringBuilder b = new StringBuilder();
        for (PghaNode n : nodes) {
            List<String> own = n.logLines().stream()
                    .filter(l -> !l.contains("INFO  [postgres]"))
                    .toList();
            b.append("==== ").append(n.dataDir.getFileName()).append('\n');
            own.subList(Math.max(0, own.size() - lines), own.size())
                    .forEach(l -> b.append(l).append('\n'));
        }
        return b.toString();
    }

    String logs() {
        return nodes.stream()
                .map(n -> "==== " + n.dataDir.getFileName() + "\n" + n.log())
                .collect(Collectors.joining("\n"));
    }

    @Override
    public void close() throws Exception {
        Exception first = null;
        if (observer != null) {
            observer.close();
        }
        for (PghaNode n : nodes) {
            try {
                n.close();
            } catch (Exception e) {
                first = first == null ? e : first;
            }
        }
        TestDirs.delete(baseDir);
        if (first != null) {
            throw first;
        }
    }

    /** The ids in {@code table} (column id of appends, x otherwise) on {@code node}'s own postgres. */
    static Set<Long> ids(PghaNode node, String table) throws SQLException {
        Set<Long> ids = new HashSet<>();
        try (Connection c = node.connect(node.pgPort(), "postgres", PASSWORD);
                Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT " + (table.equals("appends") ? "id" : "x") + " FROM " + table)) {
            while (rs.next()) {
                ids.add(rs.getLong(1));
            }
        }
        return ids;
    }
}
