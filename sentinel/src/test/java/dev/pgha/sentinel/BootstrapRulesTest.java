package dev.pgha.sentinel;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pgha.common.model.Cause;
import dev.pgha.common.model.ClusterSpec;
import dev.pgha.common.model.ClusterView;
import dev.pgha.common.model.KeeperStatus;
import dev.pgha.common.model.Phase;
import dev.pgha.common.model.Role;
import dev.pgha.common.model.Statuses;
import java.time.Instant;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class BootstrapRulesTest {
    private static final Instant NOW = Instant.parse("2026-11-23T12:00:00Z");
    private static final ClusterSpec ANY_REGION = ClusterSpec.of(null);
    private static final Set<String> ONE_MEMBER = Set.of("a");

    /**
     * A keeper in a table cell: {@code id/region/state}, state one of empty (no data), down (data, postgres down),
     * primary or standby (running, with LSN 100), e.g. {@code a/ams/primary}.
     */
    private static KeeperStatus keeper(String cell) {
        String[] f = cell.split("/");
        String state = f[2];
        boolean running = state.startsWith("primary") || state.startsWith("standby");
        Role role = state.startsWith("primary") ? Role.PRIMARY : state.startsWith("standby") ? Role.STANDBY : Role.NONE;
        long lsn = state.contains(":") ? Long.parseLong(state.substring(state.indexOf(':') + 1)) : 100;
        Statuses.Builder b = (running ? Statuses.of(f[0], role) : Statuses.down(f[0], "down"))
                .region(f[1].equals("-") ? null : f[1])
                .systemId(1_700_000_000L << 32)
                .applied(1000);
        if (state.equals("empty")) {
            b.empty();
        }
        if (role == Role.PRIMARY) {
            b.written(lsn);
        } else if (role == Role.STANDBY) {
            b.replayed(lsn);
        }
        return b.build();
    }

    private static Map<String, KeeperStatus> keepers(String cells) {
        Map<String, KeeperStatus> m = new LinkedHashMap<>();
        if (cells != null && !cells.isBlank()) {
            Arrays.stream(cells.split(" ")).map(BootstrapRulesTest::keeper).forEach(k -> m.put(k.memberId(), k));
        }
        return m;
    }

    private static ClusterView view(long generation, String leader, Phase phase) {
        return new ClusterView(
                generation,
                leader.equals("-") ? null : leader,
                List.of(),
                List.of(),
                List.of(),
                phase,
                null,
                "r",
                null,
                null);
    }

    /** Each row: current view (generation, leader, phase), primary region, live keepers -> next view. */
    @ParameterizedTest(name = "[{index}] gen {0} leader {1} {2}, region {3}, keepers [{4}] -> gen {5} leader {6} {7}")
    @CsvSource(delimiter = '|', textBlock = """
            # fresh cluster: designate the lowest id to run initdb
            0 | - | INITIALIZING | -   | b/-/empty a/-/empty                  | 1 | a | INITIALIZING
            # nobody there: wait
            0 | - | INITIALIZING | -   |                                      | 0 | - | INITIALIZING
            # existing data always beats an empty member, whatever the ids
            0 | - | INITIALIZING | -   | a/-/empty z/-/down                   | 1 | z | INITIALIZING
            # among members with data: a primary first, then the most WAL
            0 | - | INITIALIZING | -   | a/-/standby:900 b/-/primary:100      | 1 | b | INITIALIZING
            0 | - | INITIALIZING | -   | a/-/standby:100 b/-/standby:900      | 1 | b | INITIALIZING
            # primary region: only its members may lead
            0 | - | INITIALIZING | ams | a/lhr/empty b/ams/empty              | 1 | b | INITIALIZING
            0 | - | INITIALIZING | ams | a/lhr/empty                          | 0 | - | INITIALIZING
            # designated member still starting: no change
            1 | a | INITIALIZING | -   | a/-/empty                            | 1 | a | INITIALIZING
            1 | a | INITIALIZING | -   | a/-/down                             | 1 | a | INITIALIZING
            # designated member serves as primary: the cluster is NORMAL and routable
            1 | a | INITIALIZING | -   | a/-/primary                          | 2 | a | NORMAL
            # designated member vanished and another can take over
            1 | a | INITIALIZING | -   | b/-/empty                            | 2 | b | INITIALIZING
            # designated member vanished, nobody else: keep waiting for it
            1 | a | INITIALIZING | -   |                                      | 1 | a | INITIALIZING
            # a NORMAL cluster keeps its leader
            2 | a | NORMAL       | -   | a/-/primary b/-/empty                | 2 | a | NORMAL
            """)
    void plans(
            long gen,
            String leader,
            Phase phase,
            String region,
            String cells,
            long nextGen,
            String nextLeader,
            Phase nextPhase) {
        ClusterView current = view(gen, leader, phase);
        ClusterSpec spec = ClusterSpec.of(region.equals("-") ? null : region);
        ClusterView next = Plans.next(current, keepers(cells), Map.of(), ONE_MEMBER, spec, NOW);
        assertThat(next.generation()).isEqualTo(nextGen);
        assertThat(next.leader()).isEqualTo(nextLeader.equals("-") ? null : nextLeader);
        assertThat(next.phase()).isEqualTo(nextPhase);
        if (nextGen != gen) {
            assertThat(next.updatedAt()).isEqualTo(NOW);
        }
    }

    @Test
    void unchangedViewIsTheSameObjectValue() {
        ClusterView v = view(2, "a", Phase.NORMAL).withReason(Cause.BOOTSTRAP, "member a leads");
        assertThat(Plans.next(v, keepers("a/-/primary"), Map.of(), ONE_MEMBER, ANY_REGION, NOW))
                .isEqualTo(v);
    }

    @Test
    void leaderlessBecauseOfRegionSaysWhy() {
        ClusterView next = Plans.next(
                ClusterView.initial(),
                keepers("a/lhr/empty b/-/empty"),
                Map.of(),
                ONE_MEMBER,
                ClusterSpec.of("ams"),
                NOW);
        assertThat(next.generation()).isZero();
        assertThat(next.explanation())
                .isEqualTo("no leader: no keeper runs in primary region ams; running: a (lhr), b (no region)");
    }

    @Test
    void initialViewWithoutKeepersSaysSo() {
        ClusterView next = Plans.next(ClusterView.initial(), Map.of(), Map.of(), ONE_MEMBER, ANY_REGION, NOW);
        assertThat(next.explanation()).isEqualTo("no leader: no keeper is running");
    }

    @Test
    void reasonsNameTheMember() {
        assertThat(Plans.next(ClusterView.initial(), keepers("a/-/empty"), Map.of(), ONE_MEMBER, ANY_REGION, NOW)
                        .explanation())
                .isEqualTo("member a creates the cluster");
        assertThat(Plans.next(ClusterView.initial(), keepers("a/-/down"), Map.of(), ONE_MEMBER, ANY_REGION, NOW)
                        .explanation())
                .isEqualTo("member a has the cluster's data and starts as leader");
        assertThat(Plans.next(
                                view(1, "a", Phase.INITIALIZING),
                                keepers("a/-/primary"),
                                Map.of(),
                                ONE_MEMBER,
                                ANY_REGION,
                                NOW)
                        .explanation())
                .isEqualTo("member a leads");
    }
}
