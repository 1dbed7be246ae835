package dev.pgha.app;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pgha.common.model.KeeperStatus;
import dev.pgha.common.model.MemberState;
import dev.pgha.common.store.ClusterSnapshot;
import java.io.IOException;
import java.net.ConnectException;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * A member joining a leader that holds most of a gigabyte clones it with pg_basebackup, which takes a while: all
 * along, its keeper publishes how far the clone got, so `pgha status` and the sentinel see what it is doing, and its
 * /liveness answers 200 (a container platform must not restart it halfway).
 */
class LongCloneIT {
    private static final int ROWS = 800_000; // of about 1 kB each

    @Test
    void aLongClonePublishesItsProgressAndStaysLive() throws Exception {
        try (PghaCluster cluster = new PghaCluster("pgha-clone", 3, 1)) {
            PghaNode leader = cluster.node("node-1");
            PghaNode joining = cluster.node("node-2");
            leader.start();
            cluster.node("node-3").start(); // the witness: with node-1, a majority of the ensemble
            cluster.awaitLeader(null, 0, PghaCluster.READY);
            try (Connection c = leader.connect(leader.pgPort(), "postgres", PghaCluster.PASSWORD);
                    Statement st = c.createStatement()) {
                st.execute("SET synchronous_commit TO off");
                st.execute("CREATE TABLE big (id int, body text)");
                for (int from = 1; from <= ROWS; from += 100_000) {
                    st.execute("INSERT INTO big SELECT i, repeat(md5(i::text), 30) FROM generate_series(" + from + ", "
                            + (from + 99_999) + ") i");
                }
            }

            joining.start();
            Set<String> progress = new LinkedHashSet<>();
            List<String> seen = new ArrayList<>();
            List<Integer> liveness = new ArrayList<>();
            long deadline = System.nanoTime() + Duration.ofMinutes(5).toNanos();
            while (!streaming(cluster)) {
                assertThat(System.nanoTime())
                        .as("node-2 streams within 5 minutes")
                        .isLessThan(deadline);
                ClusterSnapshot s = cluster.snapshot();
                s.keeper("node-2")
                        .map(KeeperStatus::problem)
                        .filter(p -> p != null)
                        .ifPresent(seen::add);
                s.keeper("node-2")
                        .map(KeeperStatus::problem)
                        .filter(p -> p != null && p.startsWith("cloning member node-1: "))
                        .ifPresent(progress::add);
                try {
                    int code = HttpProbe.get(joining.httpPort(), "/liveness").status();
                    if (code == 200 || !liveness.isEmpty()) {
                        liveness.add(code); // from its first "alive" on (before, it may still be starting)
                    }
                } catch (ConnectException notListeningYet) {
                    assertThat(liveness)
                            .as("the HTTP port closed during the clone")
                            .isEmpty();
                }
                Thread.sleep(100);
            }
            assertThat(progress)
                    .as("the status said what the clone was doing, and how far it got; seen " + seen
                            + "; node-2's log:\n" + joining.out())
                    .anyMatch(p -> p.matches(
                            "cloning member node-1: \\d+(\\.\\d+)? [kMG]B of \\d+(\\.\\d+)? [kMG]B " + "\\(\\d+%\\)"));
            assertThat(progress).hasSizeGreaterThanOrEqualTo(2);
            assertThat(liveness)
                    .as("/liveness answers while the clone runs")
                    .isNotEmpty()
                    .containsOnly(200);
            assertThat(joining.out()).contains("cloned member node-1 in ");
            cluster.awaitStandbyWith(joining, "big", ROWS, Duration.ofMinutes(2));
        }
    }

    private static boolean streaming(PghaCluster cluster) throws IOException {
        return cluster.snapshot().memberStates().stream()
                .anyMatch(m -> m.id().equals("node-2") && m.state() == MemberState.State.STREAMING);
    }
}
