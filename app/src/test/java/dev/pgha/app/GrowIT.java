package dev.pgha.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.pgha.common.config.ZkPeer;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A single node on the embedded default grows online into an HA cluster (PGHA_JOIN: ZooKeeper dynamic
 * reconfiguration), loses a member by `pgha member remove`, and its quorum is real: the original node's death is a
 * failover like any other. Separate JVMs, real ZooKeeper and postgres.
 */
class GrowIT {
    private static final Duration JOIN = Duration.ofSeconds(120);
    private static final Duration FAILOVER = Duration.ofSeconds(30);
    private static final Pattern WITNESS_ROW = Pattern.compile("(?m)^witness-1 .* witness +running .*voter 3$");

    private PghaCluster cluster;

    @AfterEach
    void tearDown() throws Exception {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void aSingleNodeGrowsOnlineShrinksByRemovalFailsOverWithEveryWriteAndReplacesItsDeadMember() throws Exception {
        cluster = PghaCluster.growing("pgha-grow");
        PghaNode one = cluster.node("node-1").start().awaitReady(PghaCluster.READY);
        execute(one, "CREATE TABLE base(x int); INSERT INTO base SELECT generate_series(1, 10000)");
        int changesBefore = cluster.history().size();

        // a node without the cluster's store secret is refused at the door, saying what it needs
        PghaNode stranger = cluster.join("stranger", one);
        stranger.env.put("PGHA_STORE_SECRET", "not-the-cluster-secret");
        assertThat(stranger.runToExit(Duration.ofSeconds(60))).isEqualTo(1);
        assertThat(stranger.out() + stranger.log())
                .contains("(PGHA_JOIN) refused pgha's credentials")
                .contains("PGHA_STORE_SECRET");

        AppendWriter writer = new AppendWriter(one, "appends", Duration.ofMillis(10));
        writer.awaitMore(20, Duration.ofSeconds(30));
        int mark = writer.mark();
        long t0 = System.nanoTime();
        PghaNode two = cluster.join("node-2", one).start();
        cluster.awaitStandbyWith(two, "base", 10_000, JOIN);
        long t1 = System.nanoTime();
        PghaNode three = cluster.join("node-3", two).start(); // through any member
        cluster.awaitStandbyWith(three, "base", 10_000, JOIN);
        long t2 = System.nanoTime();
        cluster.awaitLeader(null, 1, JOIN);
        writer.awaitMore(50, Duration.ofSeconds(30));

        // ZooKeeper's own configuration: three voters; the leader never changed and the writer never failed
        assertThat(cluster.ensembleConfig().voters()).extracting(ZkPeer::id).containsExactly(1, 2, 3);
        assertThat(writer.failures.get()).as("%s", writer.failureReasons).isZero();
        assertThat(writer.longestGapSince(mark)).isLessThan(Duration.ofSeconds(1));
        assertThat(cluster.history()).hasSize(changesBefore);
        assertThat(cluster.view().leader()).isEqualTo("node-1");
        assertThat(two.log()).contains("is a member of the ensemble now");
        System.out.printf(
                "GrowIT: node-2 streamed %d ms after its start, node-3 %d ms; the writer's longest gap %d ms%n",
                (t1 - t0) / 1_000_000,
                (t2 - t1) / 1_000_000,
                writer.longestGapSince(mark).toMillis());

        // tags at runtime (pgha member tag, over PGHA_TAGS): a nosync member leaves the synchronous set, and returns
        PghaCli.Result tagged = PghaCli.run(one, "member", "tag", "node-3", "nosync=true");
        assertThat(tagged.code()).as("%s", tagged).isZero();
        assertThat(tagged.out()).contains("node-3: set by pgha member tag: nosync=true");
        await().atMost(Duration.ofSeconds(30))
                .ignoreExceptions()
                .until(() -> !cluster.view().synchronousNames().contains("node-3")
                        && !NodeSql.query(one, "SHOW synchronous_standby_names").contains("node-3"));
        assertThat(PghaCli.run(one, "status").out()).containsPattern("(?m)^node-3 .* nosync +voter 3$");
        assertThat(PghaCli.run(one, "member", "tag", "node-3", "nosync=").code())
                .isZero();
        await().atMost(Duration.ofSeconds(30))
                .until(() -> cluster.view().synchronousNames().contains("node-3"));

        // beyond cluster.voters (3) a member observes; it copies the standby tagged cloneFrom, not the leader
        assertThat(PghaCli.run(one, "member", "tag", "node-2", "cloneFrom=true").code())
                .isZero();
        await().atMost(Duration.ofSeconds(30))
                .until(() -> cluster.snapshot()
                        .keeper("node-2")
                        .map(k -> k.tags().cloneFrom())
                        .orElse(false));
        PghaNode four = cluster.join("node-4", one).start();
        cluster.awaitStandbyWith(four, "base", 10_000, JOIN);
        assertThat(four.log()).contains("cloning member node-2 (a standby of node-1)");
        await().atMost(Duration.ofSeconds(30)) // and goes on streaming from the leader, through its slot there
                .ignoreExceptions()
                .until(() -> NodeSql.query(
                                one,
                                "SELECT count(*) FROM pg_stat_replication WHERE application_name = 'node-4'"
                                        + " AND state = 'streaming'")
                        .equals("1"));
        assertThat(cluster.ensembleConfig().observers()).extracting(ZkPeer::id).containsExactly(4);
        PghaCli.Result status = PghaCli.run(one, "status");
        assertThat(status.out()).containsPattern("(?m)^node-1 .*voter 1$").containsPattern("(?m)^node-4 .*observer 4$");

        // removal: the leader is refused; the observer goes for good; then a voter would leave two: refused
        PghaCli.Result leader = PghaCli.run(two, "member", "remove", "node-1");
        assertThat(leader.code()).as("%s", leader).isEqualTo(1);
        assertThat(leader.err()).contains("member node-1 leads the cluster: switch over first");
        PghaCli.Result removed = PghaCli.run(two, "member", "remove", "node-4");
        assertThat(removed.code()).as("%s", removed).isZero();
        assertThat(removed.out()).contains("removed node-4; its ZooKeeper observer 4 leaves");
        assertThat(cluster.ensembleConfig().servers()).extracting(ZkPeer::id).containsExactly(1, 2, 3);
        await().atMost(Duration.ofSeconds(30)).until(() -> !four.alive());
        assertThat(four.log()).contains("member node-4 was removed from the cluster (`pgha member remove`)");
        await().atMost(Duration.ofSeconds(30))
                .ignoreExceptions()
                .until(() -> !cluster.view().standbys().contains("node-4")
                        && NodeSql.query(
                                        one,
                                        "SELECT count(*) FROM pg_replication_slots WHERE slot_name = 'pgha_node_4'")
                                .equals("0"));
        PghaCli.Result weakening = PghaCli.run(two, "member", "remove", "node-3");
        assertThat(weakening.code()).as("%s", weakening).isEqualTo(1);
        assertThat(weakening.err()).contains("removing member node-3 leaves the store with 2 voters");
        assertThat(four.runToExit(Duration.ofSeconds(60))).isEqualTo(1); // it does not come back
        assertThat(four.out() + four.log()).contains("was removed from the cluster");

        writer.awaitMore(20, Duration.ofSeconds(30));
        writer.close();
        assertThat(writer.failures.get()).as("%s", writer.failureReasons).isZero();

        // the quorum is real: the original node's death is an ordinary failover, losing nothing acknowledged
        one.killNode();
        long killed = System.nanoTime();
        PghaNode next = cluster.awaitLeader("node-1", 0, FAILOVER);
        System.out.printf(
                "GrowIT: a new leader %d ms after the original node's death%n",
                (System.nanoTime() - killed) / 1_000_000);
        assertThat(PghaCluster.ids(next, "appends")).containsAll(writer.acknowledged);
        assertThat(List.of("node-2", "node-3"))
                .contains(next.dataDir.getFileName().toString());

        // replacing the dead node: a fresh one joins (it observes: three voters are configured), then the dead one
        // is removed and the newcomer votes in its place
        PghaNode five = cluster.join("node-5", next).start();
        cluster.awaitStandbyWith(five, "base", 10_000, JOIN);
        // server 4 left for good: its id is never given again
        assertThat(cluster.ensembleConfig().observers()).extracting(ZkPeer::id).containsExactly(5);
        PghaCli.Result replaced = PghaCli.run(next, "member", "remove", "node-1");
        assertThat(replaced.code()).as("%s", replaced).isZero();
        assertThat(replaced.out()).contains("its ZooKeeper voter 1 leaves; observer 5 votes in its place");
        assertThat(cluster.ensembleConfig().voters()).extracting(ZkPeer::id).containsExactly(2, 3, 5);
        assertThat(cluster.ensembleConfig().observers()).isEmpty();
        cluster.awaitLeader("node-1", 2, JOIN); // three healthy members: a leader and two synchronous standbys
        assertThat(cluster.snapshot().members().keySet()).containsExactlyInAnyOrder("node-2", "node-3", "node-5");
    }

    /**
     * Two database nodes and a witness that joined with PGHA_JOIN: three voters, so the death of either database node
     * is a failover (the other and the witness are the store's majority); a witness beyond cluster.voters is refused;
     * the witness is removed like a member (`pgha member remove`) and its node stops.
     */
    @Test
    void aWitnessJoinsAsTheThirdVoterCarriesAFailoverAndIsRemovedLikeAMember() throws Exception {
        cluster = PghaCluster.growing("pgha-witness");
        PghaNode one = cluster.node("node-1").start().awaitReady(PghaCluster.READY);
        execute(one, "CREATE TABLE base(x int); INSERT INTO base SELECT generate_series(1, 1000)");
        PghaNode two = cluster.join("node-2", one).start();
        cluster.awaitStandbyWith(two, "base", 1000, JOIN);
        PghaNode witness = cluster.join("witness-1", two).arg("--witness").start();
        await().atMost(JOIN).until(() -> witness.log().contains("ready: witness witness-1 votes"));
        assertThat(cluster.ensembleConfig().voters()).extracting(ZkPeer::id).containsExactly(1, 2, 3);
        await().atMost(Duration.ofSeconds(30))
                .until(
                        () -> PghaCli.run(one, "status").out(),
                        out -> WITNESS_ROW.matcher(out).find());

        // a witness only adds a vote: with three voters already, a second one is refused, saying why
        PghaNode second = cluster.join("witness-2", one).arg("--witness");
        assertThat(second.runToExit(Duration.ofSeconds(60))).isEqualTo(1);
        assertThat(second.out() + second.log())
                .contains("a witness only adds a vote")
                .contains("has 3 voters already");

        // the witness's vote is real: node-1's death is a failover to node-2, with every row
        PghaNode next = cluster.awaitLeader(null, 1, JOIN);
        assertThat(next).isSameAs(one);
        one.killNode();
        assertThat(cluster.awaitLeader("node-1", 0, FAILOVER)).isSameAs(two);
        assertThat(NodeSql.query(two, "SELECT count(*) FROM base")).isEqualTo("1000");

        // node-1 returns as a standby; then the witness is removed like a member: refused while it would leave two
        // voters, done with --force; its node stops and does not start again with its old data
        one.start();
        cluster.awaitStandbyWith(one, "base", 1000, JOIN);
        PghaCli.Result refused = PghaCli.run(two, "member", "remove", "witness-1");
        assertThat(refused.code()).as("%s", refused).isEqualTo(1);
        assertThat(refused.err()).contains("removing member witness-1 leaves the store with 2 voters");
        PghaCli.Result removed = PghaCli.run(two, "member", "remove", "witness-1", "--force");
        assertThat(removed.code()).as("%s", removed).isZero();
        assertThat(removed.out()).contains("removed witness witness-1; its ZooKeeper voter 3 leaves");
        assertThat(cluster.ensembleConfig().voters()).extracting(ZkPeer::id).containsExactly(1, 2);
        await().atMost(Duration.ofSeconds(30)).until(() -> !witness.alive());
        assertThat(witness.log()).contains("member witness-1 was removed from the cluster (`pgha member remove`)");
        assertThat(PghaCli.run(two, "status").out()).doesNotContain("witness-1");
        assertThat(witness.runToExit(Duration.ofSeconds(60))).isEqualTo(1);
    }

    private static void execute(PghaNode node, String sql) throws Exception {
        try (Connection c = node.connect(node.proxyPort(), "postgres", PghaCluster.PASSWORD);
                Statement st = c.createStatement()) {
            st.execute(sql);
        }
    }
}
