package dev.pgha.sentinel;

import static dev.pgha.sentinel.Plans.keepers;
import static org.assertj.core.api.Assertions.assertThat;

import dev.pgha.common.model.Cause;
import dev.pgha.common.model.ClusterSpec;
import dev.pgha.common.model.ClusterView;
import dev.pgha.common.model.KeeperStatus;
import dev.pgha.common.model.OperatorRequest;
import dev.pgha.common.model.Phase;
import dev.pgha.common.model.ProxyStatus;
import dev.pgha.common.model.Statuses;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** `pgha pause`: what the planner holds back while the spec is paused, and what it still does. */
class PauseRulesTest {
    private static final Instant NOW = Statuses.NOW;
    private static final Set<String> MEMBERS = Set.of("a", "b", "c");
    private static final ClusterSpec.Pause PAUSE = new ClusterSpec.Pause(NOW.minusSeconds(60), null);
    private static final ClusterSpec PAUSED = ClusterSpec.of(null).withPause(PAUSE);
    private static final ClusterView NORMAL =
            new ClusterView(5, "a", List.of("b", "c"), List.of("b"), List.of("b"), Phase.NORMAL, null, "r", null, NOW);
    private static final ClusterView FENCING = new ClusterView(
            6, null, List.of("b", "c"), List.of("b"), List.of(), Phase.FAILOVER_FENCING, null, "r", "a", NOW);

    private static Map<String, ProxyStatus> proxies(long generation, String... ids) {
        Map<String, ProxyStatus> m = new LinkedHashMap<>();
        for (String id : ids) {
            m.put(id, new ProxyStatus(id, generation, NOW));
        }
        return m;
    }

    private static KeeperStatus leader() {
        return Statuses.primary("a", 100)
                .applied(5)
                .streaming(List.of("b"))
                .synchronousNames(List.of("b"))
                .confirmed(true)
                .build();
    }

    /**
     * Each row: what happened to leader a (silent/unhealthy seconds on the sentinel's clock, or its keeper gone), and
     * whether the cluster is paused → the phase of the next view.
     */
    @ParameterizedTest(name = "{0}, paused {1} -> {2}")
    @CsvSource({
        "unhealthy 60 s, true,  NORMAL",
        "unhealthy 60 s, false, FAILOVER_FENCING",
        "silent 60 s,    true,  NORMAL",
        "silent 60 s,    false, FAILOVER_FENCING",
        "session ended,  true,  FAILOVER_FENCING",
        "session ended,  false, FAILOVER_FENCING",
        "healthy,        true,  NORMAL",
    })
    void aPauseHoldsBackOnlyTheFailoverOfALeaderThatStillHoldsItsSession(String event, boolean paused, Phase expected) {
        ClusterSpec spec = paused ? PAUSED : ClusterSpec.of(null);
        KeeperStatus sick = Statuses.down("a", "postgres is stopped").applied(5).build();
        KeeperStatus standby = Statuses.standby("b", 100, "a").build();
        Map<String, KeeperStatus> ks = switch (event.trim()) {
            case "unhealthy 60 s" -> keepers(sick, standby);
            case "session ended" -> keepers(standby);
            default -> keepers(leader(), standby);
        };
        Liveness liveness = switch (event.trim()) {
            case "unhealthy 60 s" -> Liveness.of(Map.of("a", Duration.ZERO), Map.of("a", Duration.ofSeconds(60)), null);
            case "silent 60 s" -> Liveness.of(Map.of("a", Duration.ofSeconds(60)), Map.of(), null);
            default -> Liveness.fresh();
        };
        ClusterView next = Plans.next(NORMAL, ks, proxies(5, "a", "b"), MEMBERS, spec, null, liveness, NOW);
        assertThat(next.phase()).isEqualTo(expected);
        if (paused && expected == Phase.NORMAL && !event.trim().equals("healthy")) {
            assertThat(next.leader()).isEqualTo("a");
            assertThat(next.generation()).isEqualTo(5);
            assertThat(next.explanation())
                    .startsWith("paused since 2026-11-23T11:59:00Z: leader a ")
                    .contains("no automatic failover while the cluster is paused")
                    .contains("pgha resume");
        }
    }

    @Test
    void aPausedLeaderlessClusterChoosesNobodyAndSaysWhy() {
        var ks = keepers(
                Statuses.standby("b", 100, null).walFinal(100).build(),
                Statuses.standby("c", 90, null).walFinal(100).build());
        ClusterView held = Plans.next(FENCING, ks, proxies(6, "b", "c"), MEMBERS, PAUSED, NOW);
        assertThat(held.leader()).isNull();
        assertThat(held.phase()).isEqualTo(Phase.FAILOVER_FENCING);
        assertThat(held.cause()).isEqualTo(Cause.NO_CANDIDATE);
        assertThat(held.generation()).isEqualTo(6);
        assertThat(held.explanation())
                .isEqualTo("no leader: paused since 2026-11-23T11:59:00Z: the cluster has no leader since member a "
                        + "lost it, and none is chosen; no automatic failover while the cluster is paused (`pgha "
                        + "resume` turns it back on, `pgha failover --to MEMBER --force` promotes a standby now)");
        // resumed, the sentinel chooses at once
        ClusterView resumed = Plans.next(FENCING, ks, proxies(6, "b", "c"), MEMBERS, ClusterSpec.of(null), NOW);
        assertThat(resumed.leader()).isEqualTo("b");
        assertThat(resumed.phase()).isEqualTo(Phase.FAILOVER_PROMOTING);
        // the operator may still promote one while paused
        OperatorRequest force = new OperatorRequest(
                        "r", OperatorRequest.Kind.FAILOVER, "c", OperatorRequest.State.PENDING, null, 0, NOW)
                .accept("c", "ok", 6);
        ClusterView forced = Plans.next(FENCING, ks, proxies(6, "b", "c"), MEMBERS, PAUSED, force, NOW);
        assertThat(forced.leader()).isEqualTo("c");
        assertThat(forced.phase()).isEqualTo(Phase.FAILOVER_PROMOTING);
    }

    @Test
    void aPausedClusterStillSwitchesOverWhenTheOperatorAsks() {
        var ks = keepers(leader(), Statuses.standby("b", 100, "a").build());
        OperatorRequest switchover = new OperatorRequest(
                        "r", OperatorRequest.Kind.SWITCHOVER, "b", OperatorRequest.State.PENDING, null, 0, NOW)
                .accept("b", "ok", 5);
        ClusterView next = Plans.next(NORMAL, ks, proxies(5, "a", "b"), MEMBERS, PAUSED, switchover, NOW);
        assertThat(next.phase()).isEqualTo(Phase.SWITCHOVER);
    }

    @ParameterizedTest(name = "until {0} at {1}: ended {2}")
    @CsvSource({
        "'',                   2026-11-23T12:00:00Z, false",
        "2026-11-23T12:30:00Z, 2026-11-23T12:00:00Z, false",
        "2026-11-23T12:30:00Z, 2026-11-23T12:30:00Z, true",
        "2026-11-23T12:30:00Z, 2026-11-23T13:00:00Z, true",
    })
    void aPauseEndsAtItsEndTime(String until, Instant now, boolean ended) {
        ClusterSpec.Pause p =
                new ClusterSpec.Pause(NOW.minusSeconds(60), until.isEmpty() ? null : Instant.parse(until));
        assertThat(PauseRules.ended(p, now)).isEqualTo(ended);
        assertThat(PauseRules.ended(null, now)).isFalse();
    }
}
