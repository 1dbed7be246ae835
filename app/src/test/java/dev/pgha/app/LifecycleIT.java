package dev.pgha.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * How pgha stops: SIGTERM on a leader hands leadership to a synchronous standby first (no acknowledged write lost),
 * SIGTERM on a standby just stops, and an idle single-node cluster with scaleToZero stops itself with exit 0.
 */
class LifecycleIT {
    private PghaCluster cluster;
    private PghaNode single;

    @AfterEach
    void tearDown() throws Exception {
        if (cluster != null) {
            cluster.close();
        }
        if (single != null) {
            single.close();
        }
    }

    private static String id(PghaNode n) {
        return n.dataDir.getFileName().toString();
    }

    @Test
    void sigtermOnTheLeaderHandsOverFirstAndLosesNoAcknowledgedWrite() throws Exception {
        cluster = new PghaCluster("pgha-lifecycle", 3, 0).start();
        PghaNode leader = cluster.awaitLeader(null, 2, PghaCluster.READY);
        List<PghaNode> standbys =
                cluster.nodes.stream().filter(n -> n != leader).toList();
        PghaNode via = standbys.get(0);

        // SIGTERM on a standby: it just stops; the leader stays. Started again, it rejoins.
        PghaNode standby = standbys.get(1);
        assertThat(standby.stop(Duration.ofSeconds(60))).isZero();
        assertThat(standby.out()).doesNotContain("handing leadership over");
        assertThat(cluster.view().leader()).isEqualTo(id(leader));
        standby.start();
        assertThat(cluster.awaitLeader(null, 2, PghaCluster.READY)).isSameAs(leader);

        AppendWriter writer = new AppendWriter(via, "appends");
        writer.awaitMore(30, Duration.ofSeconds(30));
        int entriesBefore = history(via).size();

        assertThat(leader.stop(Duration.ofSeconds(120))).as(leader.log()).isZero();
        Matcher handedOver =
                Pattern.compile("handed leadership over to (\\S+) in").matcher(leader.out());
        assertThat(handedOver.find())
                .as("handing leadership over before stopping\n" + leader.out())
                .isTrue();
        String target = handedOver.group(1);
        assertThat(target).isIn(id(standbys.get(0)), id(standbys.get(1)));
        assertThat(cluster.view().leader()).isIn(id(standbys.get(0)), id(standbys.get(1)));
        // The leader change that the stop made is a switchover. (Its ZooKeeper peer leaves the ensemble with it: on a
        // loaded machine the re-election can outlast a session, and the new leader is then confirmed again, a
        // later entry of its own.)
        JsonNode history = history(via);
        assertThat(history.get(entriesBefore).get("reason").asText())
                .as(() -> "history: " + history + "\n" + cluster.logTails(120))
                .isEqualTo("member " + target + " leads (switchover from " + id(leader) + ")");

        writer.awaitMore(30, Duration.ofSeconds(30));
        writer.close();
        // Every acknowledged write is on whoever leads now. (Stopping a node also takes its ZooKeeper peer out of
        // the ensemble; under load the re-election can cost a member its session, and a brief fence, so ask the
        // current leader and allow for a restart in progress.)
        PghaNode current = cluster.awaitLeader(null, 1, PghaCluster.READY);
        Set<Long> present = await().atMost(Duration.ofSeconds(60))
                .ignoreExceptions()
                .until(() -> PghaCluster.ids(current, "appends"), ids -> true);
        assertThat(present).containsAll(writer.acknowledged);
    }

    @Test
    void anIdleSingleNodeClusterScalesToZeroAndStartsAgainNormally() throws Exception {
        single = PghaNode.inNewDir("pgha-scale").withFreePorts();
        single.env.put("PGHA_SCALE_TO_ZERO", "4s");
        single.start().awaitReady(PghaCluster.READY);
        String password = single.printedPassword().orElseThrow();
        // a client connected for longer than the idle time keeps it up
        try (Connection c = single.connect(single.proxyPort(), "postgres", password);
                Statement st = c.createStatement()) {
            st.execute("CREATE TABLE kept(x int); INSERT INTO kept VALUES (42)");
            Thread.sleep(6000);
            assertThat(single.alive()).isTrue();
        }
        // then, idle: it stops by itself, cleanly
        await().atMost(Duration.ofSeconds(30)).until(() -> !single.alive());
        assertThat(single.exitCode()).isZero();
        assertThat(single.out())
                .contains("no client connection for 4s (lifecycle.scaleToZero): stopping")
                .contains("[keeper] postgres stopped");
        assertThat(single.postgresProcesses()).isEmpty();
        // the next start is a normal restart with the data
        single.start().awaitReady(PghaCluster.READY);
        PgTools.Result kept = PgTools.psql(single.proxyUrl(password), "SELECT x FROM kept");
        assertThat(kept.output()).isEqualTo("42");
    }

    private static JsonNode history(PghaNode via) throws Exception {
        PghaCli.Result r = PghaCli.run(via, "history", "--json");
        assertThat(r.code()).as(r.toString()).isZero();
        return new ObjectMapper().readTree(r.out());
    }
}
