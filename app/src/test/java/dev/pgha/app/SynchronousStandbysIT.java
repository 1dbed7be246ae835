package dev.pgha.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.pgha.common.secret.Secret;
import dev.pgha.store.ZooKeeperAuth;
import java.net.SocketTimeoutException;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.curator.test.TestingServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * cluster.synchronousStandbys = 2 on three database members: a commit waits for both standbys; with one gone it
 * waits for the other (not strict) or for a second that is not there (strict); a failover promotes the standby that
 * holds every acknowledged commit. The store is an external ZooKeeper (curator-test's TestingServer), so that two of
 * the three nodes can die while the store keeps its quorum.
 */
class SynchronousStandbysIT {
    private static final Duration FAILOVER = Duration.ofSeconds(30);

    private static final String STORE_SECRET = "any2-store-secret";

    private PghaCluster cluster;
    private TestingServer zk;

    @AfterEach
    void tearDown() throws Exception {
        if (cluster != null) {
            cluster.close();
        }
        if (zk != null) {
            zk.close();
        }
    }

    @Test
    void aCommitWaitsForTwoStandbysThenForTheOneLeftOrStrictlyForTwo() throws Exception {
        // an external ZooKeeper set up for pgha: it accepts the cluster's identity only (user pgha-pgha)
        new ZooKeeperAuth("pgha", Secret.of(STORE_SECRET)).configureServers();
        zk = new TestingServer(PghaNode.freePort(), true);
        cluster = new PghaCluster("pgha-any2", zk.getConnectString(), STORE_SECRET, 3);
        cluster.nodes.forEach(n -> n.env.put("PGHA_SYNCHRONOUS_STANDBYS", "2"));
        cluster.start();
        PghaNode leader = cluster.awaitLeader(null, 2, PghaCluster.READY);
        List<PghaNode> standbys =
                cluster.nodes.stream().filter(n -> n != leader).toList();
        PghaNode stalled = standbys.get(0);
        PghaNode other = standbys.get(1);
        await().atMost(Duration.ofSeconds(30))
                .until(() -> NodeSql.query(leader, "SHOW synchronous_standby_names")
                        .equals("ANY 2 (\"" + id(standbys.get(0)) + "\",\"" + id(standbys.get(1)) + "\")"));
        List<Long> acknowledged = new ArrayList<>();
        write(other, "CREATE TABLE acked(x bigint)");
        insert(other, acknowledged, 1);

        // one standby's WAL receiver stopped: a commit waits (for both), and goes through once it runs again
        long receiver = Long.parseLong(NodeSql.query(stalled, "SELECT pid FROM pg_stat_wal_receiver"));
        PghaNode.signal(receiver, "STOP");
        try {
            assertThatThrownBy(() -> write(other, "INSERT INTO acked VALUES (2)"))
                    .isInstanceOf(SQLException.class)
                    .hasRootCauseInstanceOf(SocketTimeoutException.class);
        } finally {
            PghaNode.signal(receiver, "CONT");
        }
        insert(other, acknowledged, 3);

        // that standby's node gone: commits wait for the one left
        stalled.killNode();
        await().atMost(FAILOVER)
                .ignoreExceptions()
                .until(() -> NodeSql.query(leader, "SHOW synchronous_standby_names")
                        .equals("ANY 1 (\"" + id(other) + "\")"));
        insert(other, acknowledged, 4);

        // strict: a commit waits for two, and there is one
        PghaCli.Result strict = PghaCli.run(leader, "config", "set", "cluster.synchronousStrict=true");
        assertThat(strict.code()).as("%s", strict).isZero();
        await().atMost(FAILOVER)
                .until(() -> NodeSql.query(leader, "SHOW synchronous_standby_names")
                        .equals("ANY 2 (\"" + id(other) + "\",\"pgha_no_sync_standby\")"));
        assertThatThrownBy(() -> write(other, "INSERT INTO acked VALUES (5)"))
                .isInstanceOf(SQLException.class)
                .hasRootCauseInstanceOf(SocketTimeoutException.class);

        // the leader's node dies: the standby that confirmed every acknowledged commit leads, with all of them
        leader.killNode();
        PghaNode next = cluster.awaitLeader(id(leader), 0, FAILOVER);
        assertThat(next).isSameAs(other);
        assertThat(PghaCluster.ids(next, "acked")).containsAll(acknowledged);
    }

    private static String id(PghaNode node) {
        return node.dataDir.getFileName().toString();
    }

    /** One statement through {@code via}'s proxy, giving up after 3 s (a commit that waits). */
    private static void write(PghaNode via, String sql) throws SQLException {
        try (Connection c = via.connect(via.proxyPort(), "postgres", PghaCluster.PASSWORD)) {
            c.setNetworkTimeout(Runnable::run, 3000);
            c.createStatement().execute(sql);
        }
    }

    private static void insert(PghaNode via, List<Long> acknowledged, long x) throws SQLException {
        write(via, "INSERT INTO acked VALUES (" + x + ")");
        acknowledged.add(x);
    }
}
