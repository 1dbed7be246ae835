package dev.pgha.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pgha.common.model.Cause;
import dev.pgha.common.model.ClusterView;
import dev.pgha.common.model.KeeperStatus;
import dev.pgha.common.model.Phase;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.OptionalLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Day-2 settings without a restart: runtime cluster settings (PATCH /config, `pgha config set cluster.…`) on every
 * member, and `pgha pause` (Patroni's maintenance mode): while paused a keeper starts no postgres that stopped, and the sentinel
 * promotes nobody when the leader's node dies — the cluster stays leaderless and says why — until the operator
 * resumes (here through the operations API, POST /resume); then the failover happens and no row is lost.
 */
class PauseIT {
    private static final Duration FAILOVER = Duration.ofSeconds(60);
    private static final Duration PAUSED_WATCH = Duration.ofSeconds(30);
    private static final ObjectMapper JSON = new ObjectMapper();

    private PghaCluster cluster;

    @AfterEach
    void stop() throws Exception {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void aPausedClusterStartsNothingAndPromotesNobodyUntilResumed() throws Exception {
        // two database members and a witness (a ZooKeeper majority survives the leader's node)
        cluster = new PghaCluster("pgha-pause", 3, 1);
        cluster.start();
        PghaNode leader = cluster.awaitLeader(null, 1, PghaCluster.READY);
        PghaNode standby = cluster.node(leader.memberId().equals("node-1") ? "node-2" : "node-1");
        NodeSql.execute(leader, "CREATE TABLE t (x int)", "INSERT INTO t VALUES (1)");
        cluster.awaitStandbyWith(standby, "t", 1, PghaCluster.READY);

        // runtime cluster settings: through the API and the CLI, on every member at once, no restart
        String token = PghaCli.run(standby, "api-token").out().strip();
        HttpProbe.Reply patched = HttpProbe.call(
                leader.httpPort(), "PATCH", "/config", "{\"cluster\": {\"failTimeout\": \"3s\"}}", "Bearer " + token);
        assertThat(patched.status()).as(patched.body()).isEqualTo(200);
        assertThat(JSON.readTree(patched.body()).at("/changed/0/takes_effect").asText())
                .isEqualTo("now");
        for (PghaNode n : List.of(leader, standby)) {
            JsonNode config =
                    JSON.readTree(HttpProbe.get(n.httpPort(), "/config").body());
            assertThat(config.at("/cluster/failTimeout").asText())
                    .as(n.memberId())
                    .isEqualTo("3s");
        }
        HttpProbe.Reply badValue = HttpProbe.call(
                leader.httpPort(), "PATCH", "/config", "{\"cluster\": {\"failTimeout\": \"0s\"}}", "Bearer " + token);
        assertThat(badValue.status()).isEqualTo(400);
        assertThat(JSON.readTree(badValue.body()).get("error").asText())
                .isEqualTo("cluster.failTimeout = \"0s\" is not valid: expected a duration between 1s and 1h, such as "
                        + "500ms, 2s or 5m");
        PghaCli.Result hold = PghaCli.run(standby, "config", "set", "proxy.holdTimeout=2s");
        assertThat(hold.code()).as(hold.toString()).isZero();
        assertThat(hold.out()).contains("proxy.holdTimeout = 2s: in effect on every member");
        assertThat(PghaCli.run(standby, "config", "show").out())
                .containsPattern("cluster.failTimeout +3s +pgha config set")
                .containsPattern("proxy.holdTimeout +2s +pgha config set")
                .containsPattern("cluster.synchronousMode +auto +the elected sentinel's configuration");

        PghaCli.Result paused = PghaCli.run(standby, "pause");
        assertThat(paused.code()).as(paused.toString()).isZero();
        assertThat(paused.out()).startsWith("paused cluster pgha since ");
        assertThat(PghaCli.run(leader, "status").out()).contains("PAUSED since ");
        // every member's metrics follow the spec, which changed while the view did not
        for (PghaNode n : List.of(leader, standby)) {
            String labels = "\\{cluster=\"pgha\",member=\"" + n.memberId() + "\"\\}";
            await().atMost(Duration.ofSeconds(10))
                    .untilAsserted(() -> assertThat(
                                    HttpProbe.get(n.metricsPort(), "/metrics").body())
                            .containsPattern("(?m)^pgha_cluster_paused" + labels + " 1\\.0$"));
        }

        // the standby's postgres dies: paused, its keeper leaves it stopped and says so; the operator starts it
        OptionalLong postmaster = standby.postmasterPid();
        assertThat(postmaster).isPresent();
        PghaNode.signal(postmaster.getAsLong(), "KILL");
        await().atMost(Duration.ofSeconds(20))
                .ignoreExceptions()
                .until(() -> problemOf(standby)
                        .contains("; the cluster is paused: pgha neither starts nor stops postgres on its own"));
        Thread.sleep(3000);
        assertThat(cluster.snapshot().keepers().get(standby.memberId()).pgUp())
                .as("still stopped while paused")
                .isFalse();
        PghaCli.Result restarted = PghaCli.run(standby, "restart", standby.memberId());
        assertThat(restarted.code()).as(restarted + cluster.logTails(30)).isZero();
        cluster.awaitStandbyWith(standby, "t", 1, PghaCluster.READY);
        // synchronous again (while it was down the leader served alone: until it confirms the standby caught up,
        // nobody would be promotable, paused or not)
        assertThat(cluster.awaitLeader(null, 1, PghaCluster.READY)).isSameAs(leader);
        NodeSql.execute(leader, "INSERT INTO t VALUES (2)");

        // the leader's node dies: the cluster becomes leaderless, and stays so while paused
        leader.killNode();
        Instant watchEnds = Instant.now().plus(PAUSED_WATCH);
        boolean sawPausedLeaderless = false;
        while (Instant.now().isBefore(watchEnds)) {
            ClusterView v = cluster.view();
            assertThat(v.leader()).as("nobody is promoted while paused: " + v).isNotEqualTo(standby.memberId());
            assertThat(v.phase()).as(v.toString()).isIn(Phase.NORMAL, Phase.FAILOVER_FENCING);
            if (v.cause() == Cause.NO_CANDIDATE && v.reason().startsWith("paused since ")) {
                sawPausedLeaderless = true;
            }
            Thread.sleep(500);
        }
        assertThat(sawPausedLeaderless)
                .as(cluster.view() + "\n" + cluster.logTails(30))
                .isTrue();
        assertThat(NodeSql.query(standby, "SELECT pg_is_in_recovery()::text")).isEqualTo("true");
        // a client of the leaderless cluster is held for the cluster's proxy.holdTimeout (2 s, not the 10 s each node
        // is configured with), then told why
        long asked = System.nanoTime();
        assertThatThrownBy(() -> standby.connect(standby.proxyPort(), "postgres", PghaCluster.PASSWORD))
                .isInstanceOfSatisfying(SQLException.class, e -> {
                    assertThat(e.getSQLState()).isEqualTo("57P03");
                    assertThat(e.getMessage()).contains("no leader available: paused since ");
                });
        assertThat(Duration.ofNanos(System.nanoTime() - asked)).isLessThan(Duration.ofSeconds(9));
        String status = PghaCli.run(standby, "status").out();
        assertThat(status)
                .contains("PAUSED since ")
                .contains("no leader: paused since ")
                .contains("no automatic failover while the cluster is paused");

        // resumed through the operations API: the standby takes over with every row
        HttpProbe.Reply anonymous = HttpProbe.call(standby.httpPort(), "POST", "/resume", null, null);
        assertThat(anonymous.status()).isEqualTo(401);
        assertThat(cluster.snapshot().spec().paused())
                .as("a refused request changes nothing")
                .isTrue();
        HttpProbe.Reply resumed = HttpProbe.call(standby.httpPort(), "POST", "/resume", null, "Bearer " + token);
        assertThat(resumed.status()).as(resumed.body()).isEqualTo(200);
        JsonNode body = JSON.readTree(resumed.body());
        assertThat(body.get("message").asText()).startsWith("resumed (paused since ");
        assertThat(body.get("pause").asBoolean()).isFalse();
        assertThat(cluster.awaitLeader(leader.memberId(), 0, FAILOVER)).isSameAs(standby);
        assertThat(PghaCluster.ids(standby, "t")).containsExactlyInAnyOrder(1L, 2L);
        assertThat(PghaCli.run(standby, "status").out()).doesNotContain("PAUSED");
    }

    private String problemOf(PghaNode node) throws Exception {
        KeeperStatus k = cluster.snapshot().keepers().get(node.memberId());
        return k == null || k.problem() == null ? "" : k.problem();
    }
}
