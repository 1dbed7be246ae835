package dev.pgha.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pgha.common.model.Cause;
import dev.pgha.common.model.ClusterView;
import dev.pgha.common.model.KeeperStatus;
import dev.pgha.common.model.Phase;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.OptionalLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * `pgha pause` (Patroni's maintenance mode): while paused a keeper starts no postgres that stopped, and the sentinel
 * promotes nobody when the leader's node dies — the cluster stays leaderless and says why — until the operator
 * resumes (here through the operations API, POST /resume); then the failover happens and no row is lost.
 */
class PauseIT {
    private static final Duration FAILOVER = Duration.ofSeconds(60);
    private static final Duration PAUSED_WATCH = Duration.ofSeconds(30);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();

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

        PghaCli.Result paused = PghaCli.run(standby, "pause");
        assertThat(paused.code()).as(paused.toString()).isZero();
        assertThat(paused.out()).startsWith("paused cluster pgha-pause since ");
        assertThat(PghaCli.run(leader, "status").out()).contains("PAUSED since ");

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
        String status = PghaCli.run(standby, "status").out();
        assertThat(status)
                .contains("PAUSED since ")
                .contains("no leader: paused since ")
                .contains("no automatic failover while the cluster is paused");

        // resumed through the operations API: the standby takes over with every row
        String token = PghaCli.run(standby, "api-token").out().strip();
        HttpResponse<String> anonymous = post(standby, "/resume", null);
        assertThat(anonymous.statusCode()).isEqualTo(401);
        assertThat(cluster.snapshot().spec().paused())
                .as("a refused request changes nothing")
                .isTrue();
        HttpResponse<String> resumed = post(standby, "/resume", "Bearer " + token);
        assertThat(resumed.statusCode()).as(resumed.body()).isEqualTo(200);
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

    private static HttpResponse<String> post(PghaNode node, String path, String auth) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.httpPort() + path))
                .timeout(Duration.ofSeconds(30))
                .POST(HttpRequest.BodyPublishers.noBody());
        if (auth != null) {
            b.header("Authorization", auth);
        }
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }
}
