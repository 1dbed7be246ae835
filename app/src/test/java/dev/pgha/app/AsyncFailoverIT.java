package dev.pgha.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.pgha.common.model.Cause;
import dev.pgha.common.model.ClusterView;
import dev.pgha.common.model.KeeperStatus;
import java.time.Duration;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Asynchronous replication (PGHA_SYNCHRONOUS_MODE=off) with cluster.maximumLagOnFailover: a standby that lacks more
 * of the lost leader's WAL than the limit is not promoted automatically; the cluster stays leaderless saying why, and
 * an operator's forced failover accepts the loss.
 */
class AsyncFailoverIT {
    private static final Duration FAILOVER = Duration.ofSeconds(60);

    private PghaCluster cluster;

    @AfterEach
    void stop() throws Exception {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void aStandbyFurtherBehindThanTheLimitIsNotPromotedUntilAnOperatorAcceptsTheLoss() throws Exception {
        // two database members and a witness (a ZooKeeper majority survives the leader's node)
        cluster = new PghaCluster("pgha-async", 3, 1);
        for (PghaNode n : cluster.nodes) {
            n.env.put("PGHA_SYNCHRONOUS_MODE", "off");
            n.env.put("PGHA_MAXIMUM_LAG_ON_FAILOVER", "1MB");
        }
        cluster.start();
        PghaNode leader = cluster.awaitLeader(null, 0, PghaCluster.READY);
        PghaNode standby = cluster.node(leader.memberId().equals("node-1") ? "node-2" : "node-1");
        NodeSql.execute(leader, "CREATE TABLE t (i int, pad text)", "INSERT INTO t VALUES (0, '')");
        cluster.awaitStandbyWith(standby, "t", 1, PghaCluster.READY);

        // The leader's WAL sender stops while the leader acknowledges ~5 MB alone, so that WAL never enters a socket.
        // (Stopping the standby's WAL receiver instead is not enough: the kernel keeps delivering what the sender had
        // queued, up to ~4 MB here, from the killed leader's orphaned socket once the receiver resumes, and the
        // standby then really has it.)
        String senders = NodeSql.query(leader, "SELECT string_agg(pid::text, ',') FROM pg_stat_replication");
        assertThat(senders).as("the leader's WAL senders").matches("\\d+");
        long sender = Long.parseLong(senders);
        PghaNode.signal(sender, "STOP");
        try {
            NodeSql.execute(leader, "INSERT INTO t SELECT g, repeat('x', 1000) FROM generate_series(1, 5000) g");
            // its keeper reads how far the leader's WAL went from the leader's status
            await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() -> {
                KeeperStatus k = cluster.snapshot().keepers().get(standby.memberId());
                return k.leaderWalEnd() - k.lsn() > 2_000_000;
            });
            // Every postgres process of the leader's node gone, as when a node dies (a stopped one does not notice
            // its postmaster's death).
            leader.killNode();
            PghaNode.signal(sender, "KILL");
            await().atMost(Duration.ofSeconds(30))
                    .until(() -> leader.postgresProcesses().isEmpty());
        } finally {
            if (ProcessHandle.of(sender).filter(ProcessHandle::isAlive).isPresent()) {
                PghaNode.signal(sender, "CONT"); // the test failed before the kill: let the cluster stop
            }
        }

        // (first it waits a moment for the standby to stop receiving and report final positions)
        try {
            await().atMost(FAILOVER)
                    .ignoreExceptions()
                    .until(() -> cluster.view().cause() == Cause.NO_CANDIDATE
                            && cluster.view().reason().contains("maximumLagOnFailover"));
        } catch (ConditionTimeoutException e) {
            throw new AssertionError("view: " + cluster.view() + "\n" + cluster.logTails(40), e);
        }
        ClusterView refused = cluster.view();
        assertThat(refused.leader()).isNull();
        assertThat(refused.explanation())
                .as(cluster.logTails(30))
                .startsWith("no leader: " + standby.memberId() + ", the standby with the most WAL, lacks ")
                .contains("of what leader " + leader.memberId() + " was last known to have, more than "
                        + "cluster.maximumLagOnFailover (1.00 MB)")
                .endsWith("(`pgha failover --to " + standby.memberId() + "` accepts the loss)");
        Thread.sleep(3000);
        assertThat(cluster.view().leader()).as("still refused").isNull();
        assertThat(PghaCli.run(standby, "status").out()).contains("more than cluster.maximumLagOnFailover");

        // The operator accepts the loss: the standby leads with what it had.
        PghaCli.Result forced = PghaCli.run(standby, "failover", "--to", standby.memberId(), "--force");
        assertThat(forced.code()).as(forced.toString()).isZero();
        assertThat(cluster.awaitLeader(leader.memberId(), 0, FAILOVER)).isSameAs(standby);
        assertThat(Long.parseLong(NodeSql.query(standby, "SELECT count(*)::text FROM t")))
                .isGreaterThanOrEqualTo(1)
                .isLessThan(5001);
        NodeSql.execute(standby, "INSERT INTO t VALUES (-1, 'after')");
    }
}
