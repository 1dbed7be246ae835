package dev.pgha.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The operator's view of a three-node cluster through the CLI: status before and after a switchover and after a
 * kill -9 failover, a switchover that loses no acknowledged write, refusals with their reasons, history, and a
 * rolling restart for a parameter that needs one.
 */
class AdminClusterIT {
    private static final Duration FAILOVER = Duration.ofSeconds(60);
    private static final ObjectMapper JSON = new ObjectMapper();

    private PghaCluster cluster;

    @AfterEach
    void tearDown() throws Exception {
        if (cluster != null) {
            cluster.close();
        }
    }

    private static String id(PghaNode n) {
        return n.dataDir.getFileName().toString();
    }

    private static JsonNode status(PghaNode via) throws Exception {
        PghaCli.Result r = PghaCli.run(via, "status", "--json");
        assertThat(r.code()).as(r.toString()).isZero();
        return JSON.readTree(r.out());
    }

    private static final String IMMEDIATE_CHECKPOINT = "checkpoint starting: immediate force wait";

    private static int countOf(String text, String what) {
        int n = 0;
        for (int i = text.indexOf(what); i >= 0; i = text.indexOf(what, i + 1)) {
            n++;
        }
        return n;
    }

    /** A status without what changes from one second to the next (uptimes, lag). */
    private static JsonNode withoutTimes(JsonNode status) {
        JsonNode copy = status.deepCopy();
        for (JsonNode m : copy.get("members")) {
            ((ObjectNode) m).remove(List.of("uptime_seconds", "lag_bytes"));
        }
        return copy;
    }

    @Test
    void statusSwitchoverRefusalsRollingRestartAndFailoverAsAnOperatorSeesThem() throws Exception {
        cluster = new PghaCluster("pgha-admin-cluster", 3, 0).start();
        PghaNode leader = cluster.awaitLeader(null, 2, PghaCluster.READY);
        List<PghaNode> standbys =
                cluster.nodes.stream().filter(n -> n != leader).toList();
        PghaNode target = standbys.get(0);
        PghaNode via = standbys.get(1);

        // status: the leader first, two streaming replicas, their checks and addresses
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            JsonNode s = status(via);
            assertThat(s.get("phase").asText()).isEqualTo("NORMAL");
            assertThat(s.get("leader").asText()).isEqualTo(id(leader));
            JsonNode members = s.get("members");
            assertThat(members).hasSize(3);
            assertThat(members.get(0).get("id").asText()).isEqualTo(id(leader));
            assertThat(members.get(0).get("role").asText()).isEqualTo("leader");
            assertThat(members.get(1).get("role").asText()).isEqualTo("replica");
            assertThat(members.get(1).get("state").asText()).isEqualTo("streaming");
            assertThat(members.get(2).get("state").asText()).isEqualTo("streaming");
            assertThat(members.get(1).get("checks").get("total").asInt()).isEqualTo(3);
            assertThat(members.get(0).get("address").asText()).isEqualTo("127.0.0.1:" + leader.pgPort());
            assertThat(s.get("warnings")).isEmpty();
        });
        String table = PghaCli.run(via, "status").out();
        assertThat(table)
                .startsWith("Cluster pgha: generation ")
                .containsPattern("(?m)^ID +REGION +ROLE +STATE +TIMELINE +LAG +CHECKS +ADDRESS +UPTIME +STORE$")
                .containsPattern("(?m)^" + id(leader) + " +- +leader +running +\\d+ +- +\\d/3 +127\\.0\\.0\\.1:"
                        + leader.pgPort() + " +\\S+ +voter \\d$")
                .containsPattern(
                        "(?m)^" + id(target) + " +- +replica +streaming +\\d+ +[\\d.]+ k?B +\\d/3 +127\\.0\\.0\\.1:"
                                + target.pgPort() + " +\\S+ +voter \\d$");

        // via's daemon answered that (signed for the command: StatusWireTest); the command reading the store itself
        // (--store) shows the same cluster
        assertThat(HttpProbe.get(via.httpPort(), "/status").body()).contains("needs ?nonce=");
        JsonNode answered = withoutTimes(status(via));
        PghaCli.Result direct = PghaCli.run(via, "status", "--json", "--store", cluster.zkConnect);
        assertThat(direct.code()).as(direct.toString()).isZero();
        assertThat(withoutTimes(JSON.readTree(direct.out()))).isEqualTo(answered);

        // switchover while a client writes through a proxy: no acknowledged write is lost
        AppendWriter writer = new AppendWriter(via, "appends");
        writer.awaitMore(30, Duration.ofSeconds(30));
        int checkpoints = countOf(leader.out(), IMMEDIATE_CHECKPOINT);
        PghaCli.Result switched = PghaCli.run(via, "switchover", "--to", id(target));
        assertThat(switched.code()).as(switched.toString()).isZero();
        assertThat(switched.out())
                .startsWith("switchover done: " + id(target) + " leads (generation ")
                .contains("was " + id(leader) + ")");
        writer.awaitMore(30, FAILOVER);
        writer.close();
        Set<Long> present = PghaCluster.ids(target, "appends");
        assertThat(present).containsAll(writer.acknowledged);
        assertThat(PghaCluster.servedBy(via)).isEqualTo(target.pgPort() + " primary");
        // the new leader's configuration no longer names the member it followed (a plain restart finds a primary)
        await().atMost(FAILOVER)
                .untilAsserted(() -> assertThat(Files.readString(target.pgData().resolve("postgresql.conf")))
                        .doesNotContain("primary_conninfo"));
        // the old leader rejoins as a streaming replica
        await().atMost(FAILOVER).untilAsserted(() -> {
            JsonNode s = status(via);
            assertThat(s.get("leader").asText()).isEqualTo(id(target));
            for (JsonNode m : s.get("members")) {
                if (m.get("id").asText().equals(id(leader))) {
                    assertThat(m.get("role").asText()).isEqualTo("replica");
                    assertThat(m.get("state").asText()).isEqualTo("streaming");
                }
            }
        });
        // its postgres took every configuration change since (the promotion's, the synchronous standbys') as written
        assertThat(target.out()).doesNotContain("contains errors").doesNotContain("cannot be changed");
        assertThat(PghaCli.run(via, "history").out())
                .containsPattern("(?m) " + id(leader) + " +" + id(target) + " +\\S+ +member " + id(target)
                        + " leads \\(switchover from " + id(leader) + "\\)$");
        // the command had the leader checkpoint before the hold, so its clean shutdown had little left to write
        String before = leader.out().substring(0, leader.out().indexOf("switchover: shutting down cleanly"));
        assertThat(countOf(before, IMMEDIATE_CHECKPOINT)).isGreaterThan(checkpoints);
        // it demoted cleanly, and the target had all of its WAL: it follows without pg_rewind
        assertThat(leader.out())
                .contains("switchover: shutting down cleanly, so that the standby taking over receives all of "
                        + "this member's WAL")
                .contains("took over in a switchover with all of this member's WAL: following it without a rewind")
                .doesNotContain("rewinding")
                .doesNotContain("fencing:");

        // refusals name the reason; nothing changes
        PghaCli.Result self = PghaCli.run(via, "switchover", "--to", id(target));
        assertThat(self.code()).isEqualTo(1);
        assertThat(self.err()).isEqualTo("pgha: switchover refused: " + id(target) + " already leads the cluster\n");
        PghaCli.Result stranger = PghaCli.run(via, "switchover", "--to", "nobody");
        assertThat(stranger.err()).startsWith("pgha: switchover refused: there is no member nobody; members: ");
        PghaCli.Result unforced = PghaCli.run(via, "failover", "--to", id(leader));
        assertThat(unforced.err())
                .startsWith("pgha: a forced failover may lose writes the lost leader acknowledged; " + "add --force");
        PghaCli.Result notLeaderless = PghaCli.run(via, "failover", "--to", id(leader), "--force");
        assertThat(notLeaderless.err())
                .startsWith("pgha: failover refused: the cluster is not leaderless (leader " + id(target)
                        + ", phase NORMAL)");
        assertThat(cluster.view().leader()).isEqualTo(id(target));

        // a parameter that needs a restart, rolled through the cluster: standbys, switchover, old leader
        PghaCli.Result set = PghaCli.run(via, "config", "set", "max_locks_per_transaction=96");
        assertThat(set.out())
                .contains("set max_locks_per_transaction = 96 (needs a restart)")
                .contains("run pgha config set --restart");
        PghaCli.Result rolled = PghaCli.run(via, "restart", "--rolling");
        assertThat(rolled.code()).as(rolled.toString()).isZero();
        assertThat(rolled.out())
                .contains("switched over from " + id(target) + " to ")
                .endsWith("restarted " + id(target) + "\n");
        assertThat(PghaCli.run(via, "restart", "nobody").err())
                .isEqualTo("pgha: member nobody is not running (pgha status lists the members)\n");
        for (PghaNode n : cluster.nodes) {
            await().atMost(Duration.ofSeconds(30)).ignoreExceptions().untilAsserted(() -> {
                try (Connection c = n.connect(n.pgPort(), "postgres", PghaCluster.PASSWORD);
                        Statement st = c.createStatement();
                        ResultSet rs = st.executeQuery("SHOW max_locks_per_transaction")) {
                    rs.next();
                    assertThat(rs.getString(1)).as(id(n)).isEqualTo("96");
                }
            });
        }
        String rolledTo = cluster.view().leader();
        assertThat(rolledTo).isNotEqualTo(id(target));

        // pgha reinit: a standby's data replaced by a fresh clone of the leader's; the leader is refused
        PghaNode reinitialized = cluster.nodes.stream()
                .filter(n -> !id(n).equals(rolledTo))
                .findFirst()
                .orElseThrow();
        NodeSql.execute(
                cluster.node(rolledTo), "CREATE TABLE before_reinit (x int)", "INSERT INTO before_reinit VALUES (1)");
        PghaCli.Result reinit = PghaCli.run(via, "reinit", id(reinitialized));
        assertThat(reinit.code()).as(reinit + cluster.logTails(30)).isZero();
        assertThat(reinit.out())
                .startsWith("re-cloning " + id(reinitialized) + " from the leader")
                .endsWith("reinitialized " + id(reinitialized) + ": cloned from the leader and streaming\n");
        assertThat(reinitialized.out())
                .contains("pgha reinit: replacing this member's data with a fresh clone of member " + rolledTo);
        cluster.awaitStandbyWith(reinitialized, "before_reinit", 1, Duration.ofSeconds(30));
        assertThat(PghaCli.run(via, "reinit", rolledTo).err())
                .isEqualTo("pgha: " + rolledTo + " leads the cluster: its data is the cluster's; switch over first "
                        + "(pgha switchover), then reinit it\n");

        // kill -9 of the leader's node: status shows the new leader, and the dead member as down with a warning.
        // (Once a standby is synchronous again: right after the switchover the new leader has not yet confirmed that
        // one holds everything it acknowledged, and until then pgha refuses to fail over rather than lose writes.)
        cluster.awaitLeader(null, 1, FAILOVER);
        PghaNode current = cluster.node(rolledTo);
        current.killNode();
        PghaNode next = cluster.awaitLeader(rolledTo, 0, FAILOVER);
        PghaNode observer = cluster.nodes.stream()
                .filter(n -> n != current && n != next)
                .findFirst()
                .orElseThrow();
        await().atMost(FAILOVER).untilAsserted(() -> {
            JsonNode s = status(observer);
            assertThat(s.get("leader").asText()).isEqualTo(id(next));
            assertThat(s.get("members").get(0).get("id").asText()).isEqualTo(id(next));
            JsonNode dead = null;
            for (JsonNode m : s.get("members")) {
                if (m.get("id").asText().equals(rolledTo)) {
                    dead = m;
                }
            }
            assertThat(dead).isNotNull();
            assertThat(dead.get("state").asText()).isEqualTo("down");
            assertThat(s.get("warnings").toString()).contains("member " + rolledTo + " is down");
        });
    }
}
