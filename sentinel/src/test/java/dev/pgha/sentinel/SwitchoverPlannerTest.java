package dev.pgha.sentinel;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pgha.common.model.ClusterSpec;
import dev.pgha.common.model.ClusterView;
import dev.pgha.common.model.KeeperStatus;
import dev.pgha.common.model.OperatorRequest;
import dev.pgha.common.model.Phase;
import dev.pgha.common.model.ProxyStatus;
import dev.pgha.common.model.Role;
import java.time.Instant;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Planned switchover and forced failover: the checks of a request, then the steps of {@link ViewPlanner}. */
class SwitchoverPlannerTest {
    private static final Instant NOW = Instant.parse("2026-11-23T12:00:00Z");
    private static final Set<String> MEMBERS = Set.of("a", "b", "c");
    private static final ClusterSpec SPEC = ClusterSpec.of(null);

    private static KeeperStatus primary(String id, long lsn, List<String> streaming) {
        return new KeeperStatus(
                id,
                null,
                true,
                1,
                true,
                Role.PRIMARY,
                1,
                lsn,
                0,
                0,
                true,
                null,
                10,
                NOW,
                null,
                null,
                streaming,
                streaming);
    }

    private static KeeperStatus standby(String id, long lsn, String following) {
        return new KeeperStatus(
                id,
                null,
                true,
                1,
                true,
                Role.STANDBY,
                1,
                0,
                lsn,
                lsn,
                true,
                null,
                10,
                NOW,
                null,
                following,
                List.of(),
                List.of());
    }

    /** A former primary shut down cleanly: its WAL ends at {@code endLsn}. */
    private static KeeperStatus stoppedAt(String id, long endLsn) {
        return new KeeperStatus(
                id, null, true, 1, false, Role.NONE, 0, endLsn, 0, 0, false, "stopped", 10, NOW, NOW, null, List.of(),
                List.of());
    }

    private static Map<String, KeeperStatus> keepers(KeeperStatus... ks) {
        Map<String, KeeperStatus> m = new LinkedHashMap<>();
        Arrays.stream(ks).forEach(k -> m.put(k.memberId(), k));
        return m;
    }

    private static Map<String, ProxyStatus> proxies(long generation) {
        Map<String, ProxyStatus> m = new LinkedHashMap<>();
        for (String id : MEMBERS) {
            m.put(id, new ProxyStatus(id, generation, NOW));
        }
        return m;
    }

    private static OperatorRequest switchover(String target) {
        return new OperatorRequest(
                "r1", OperatorRequest.Kind.SWITCHOVER, target, OperatorRequest.State.PENDING, null, 0, NOW);
    }

    private static final ClusterView NORMAL = new ClusterView(
            5, "a", List.of("b", "c"), List.of("b", "c"), List.of("b", "c"), Phase.NORMAL, "member a leads", null, NOW);

    /** a leads; b streams and is synchronous with the most WAL; c streams with less. */
    private static Map<String, KeeperStatus> healthy() {
        return keepers(primary("a", 1000, List.of("b", "c")), standby("b", 1000, "a"), standby("c", 900, "a"));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            to b                         | b    | b |
            to c (streaming, less WAL)   | c    | c |
            no target: the best          |      | b |
            to the leader                | a    |   | a already leads the cluster
            to a stranger                | x    |   | there is no member x; members: a, b, c
            """)
    void checksTheTarget(String name, String target, String expected, String refusal) {
        ViewPlanner.Verdict v = ViewPlanner.check(switchover(target), NORMAL, healthy(), MEMBERS, SPEC);
        assertThat(v.target()).isEqualTo(expected);
        assertThat(v.refusal()).isEqualTo(refusal);
    }

    @Test
    void refusesATargetThatIsNotCaughtUpOrADegradedCluster() {
        var lagging = keepers(primary("a", 1000, List.of("b")), standby("b", 1000, "a"), standby("c", 10, "a"));
        assertThat(ViewPlanner.check(switchover("c"), NORMAL, lagging, MEMBERS, SPEC)
                        .refusal())
                .isEqualTo("c is not caught up with leader a (it is not streaming from it yet)");
        var down = keepers(primary("a", 1000, List.of("b")), standby("b", 1000, "a"));
        assertThat(ViewPlanner.check(switchover("c"), NORMAL, down, MEMBERS, SPEC)
                        .refusal())
                .isEqualTo("c is not running (its keeper does not report)");
        ClusterView fencing = new ClusterView(
                6, null, List.of(), List.of("b"), List.of(), Phase.FAILOVER_FENCING, "no leader: waiting", "a", NOW);
        assertThat(ViewPlanner.check(switchover("b"), fencing, healthy(), MEMBERS, SPEC)
                        .refusal())
                .startsWith("the cluster has no serving leader right now (phase FAILOVER_FENCING: no leader: waiting); "
                        + "if it stays leaderless, use pgha failover --to MEMBER --force");
    }

    @Test
    void aSwitchoverFencesThenWaitsForACleanStopAndTheLastWalThenPromotesTheTarget() {
        OperatorRequest accepted = switchover("b").accept("b", "accepted", 5);
        ClusterView s = ViewPlanner.next(NORMAL, healthy(), proxies(5), MEMBERS, SPEC, accepted, NOW);
        assertThat(s.phase()).isEqualTo(Phase.SWITCHOVER);
        assertThat(s.generation()).isEqualTo(6);
        assertThat(s.leader()).isNull();
        assertThat(s.formerLeader()).isEqualTo("a");

        // proxies not yet acked
        assertThat(ViewPlanner.next(s, healthy(), proxies(5), MEMBERS, SPEC, accepted, NOW)
                        .reason())
                .contains("waiting for the proxies of a, b, c");
        // a still runs
        assertThat(ViewPlanner.next(s, healthy(), proxies(6), MEMBERS, SPEC, accepted, NOW)
                        .reason())
                .isEqualTo("switchover: waiting for leader a to shut down cleanly");
        // a stopped at 1200; b has 1100 so far
        var stopping = keepers(stoppedAt("a", 1200), standby("b", 1100, null), standby("c", 1100, null));
        assertThat(ViewPlanner.next(s, stopping, proxies(6), MEMBERS, SPEC, accepted, NOW)
                        .reason())
                .isEqualTo("switchover: waiting for b to receive the last WAL of a (it has 0/44C, a ended at 0/4B0)");
        // b received past a's shutdown checkpoint: promote it
        var caughtUp = keepers(stoppedAt("a", 1200), standby("b", 1240, null), standby("c", 1240, null));
        ClusterView p = ViewPlanner.next(s, caughtUp, proxies(6), MEMBERS, SPEC, accepted, NOW);
        assertThat(p.phase()).isEqualTo(Phase.FAILOVER_PROMOTING);
        assertThat(p.leader()).isEqualTo("b");
        // b reports itself primary at that generation: NORMAL, with the switchover named
        KeeperStatus promoted = new KeeperStatus(
                "b",
                null,
                true,
                1,
                true,
                Role.PRIMARY,
                2,
                1300,
                0,
                0,
                true,
                null,
                p.generation(),
                NOW,
                null,
                null,
                List.of(),
                List.of());
        ClusterView n =
                ViewPlanner.next(p, keepers(stoppedAt("a", 1200), promoted), proxies(7), MEMBERS, SPEC, accepted, NOW);
        assertThat(n.phase()).isEqualTo(Phase.NORMAL);
        assertThat(n.leader()).isEqualTo("b");
        assertThat(n.reason()).isEqualTo("member b leads (switchover from a)");
    }

    @Test
    void aSwitchoverThatCannotCompleteFallsBackToTheFailoverRules() {
        OperatorRequest accepted = switchover("c").accept("c", "accepted", 5);
        ClusterView s = ViewPlanner.next(NORMAL, healthy(), proxies(5), MEMBERS, SPEC, accepted, NOW);
        // c went away: the synchronous standby with the most WAL is promoted instead
        var cGone = keepers(stoppedAt("a", 1200), standby("b", 1240, null));
        ClusterView p = ViewPlanner.next(s, cGone, proxies(6), MEMBERS, SPEC, accepted, NOW);
        assertThat(p.leader()).isEqualTo("b");
        assertThat(p.reason())
                .isEqualTo("switchover abandoned (c is no longer a running standby); promoting b (it has "
                        + "received all of a's WAL)");
        // a never stops within the timeout: a is not lost, so it leads again (nobody else was promoted)
        var aStuck = keepers(primary("a", 1000, List.of()), standby("b", 1000, null), standby("c", 1000, null));
        ClusterView late = ViewPlanner.next(
                s,
                aStuck,
                proxies(6),
                MEMBERS,
                SPEC,
                accepted,
                NOW.plus(ViewPlanner.SWITCHOVER_TIMEOUT).plusSeconds(1));
        assertThat(late.reason()).startsWith("switchover abandoned (it did not complete within 30s)");
    }

    @Test
    void aForcedFailoverPromotesTheNamedStandbyOfALeaderlessCluster() {
        ClusterView leaderless = new ClusterView(
                6,
                null,
                List.of(),
                List.of(),
                List.of(),
                Phase.FAILOVER_FENCING,
                "no leader: no synchronous standby was in sync",
                "a",
                NOW);
        var ks = keepers(standby("b", 900, null), standby("c", 800, null));
        // without the operator, nobody is promoted
        assertThat(ViewPlanner.next(leaderless, ks, proxies(6), MEMBERS, SPEC, NOW)
                        .leader())
                .isNull();
        OperatorRequest force = new OperatorRequest(
                "r2", OperatorRequest.Kind.FAILOVER, "c", OperatorRequest.State.PENDING, null, 0, NOW);
        ViewPlanner.Verdict v = ViewPlanner.check(force, leaderless, ks, MEMBERS, SPEC);
        assertThat(v.target()).isEqualTo("c");
        ClusterView p = ViewPlanner.next(leaderless, ks, proxies(6), MEMBERS, SPEC, force.accept("c", "ok", 6), NOW);
        assertThat(p.leader()).isEqualTo("c");
        assertThat(p.phase()).isEqualTo(Phase.FAILOVER_PROMOTING);
        assertThat(p.reason()).startsWith("forced failover (pgha failover --force): promoting c");
        // refused while the cluster has a leader
        assertThat(ViewPlanner.check(force, NORMAL, healthy(), MEMBERS, SPEC).refusal())
                .startsWith("the cluster is not leaderless (leader a, phase NORMAL)");
    }
}
