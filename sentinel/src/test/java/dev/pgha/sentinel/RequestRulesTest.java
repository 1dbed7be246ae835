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
import dev.pgha.common.request.RequestTimeouts;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Planned switchover and forced failover: the checks of a request, then the steps of {@link ViewPlanner}. */
class RequestRulesTest {
    private static final Instant NOW = Instant.parse("2026-11-23T12:00:00Z");
    private static final Set<String> MEMBERS = Set.of("a", "b", "c");
    private static final ClusterSpec SPEC = ClusterSpec.of(null);

    private static KeeperStatus primary(String id, long lsn, List<String> streaming) {
        return Statuses.primary(id, lsn)
                .streaming(streaming)
                .synchronousNames(streaming)
                .build();
    }

    private static KeeperStatus standby(String id, long lsn, String following) {
        return Statuses.standby(id, lsn, following).build();
    }

    /** A former primary shut down cleanly: its WAL ends at {@code endLsn}. */
    private static KeeperStatus stoppedAt(String id, long endLsn) {
        return Statuses.down(id, "stopped").walEndsAt(endLsn).build();
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
            5,
            "a",
            List.of("b", "c"),
            List.of("b", "c"),
            List.of("b", "c"),
            Phase.NORMAL,
            null,
            "member a leads",
            null,
            NOW);

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
        RequestRules.Verdict v = Plans.check(switchover(target), NORMAL, healthy(), MEMBERS, SPEC);
        assertThat(v.target()).isEqualTo(expected);
        assertThat(v.refusal()).isEqualTo(refusal);
    }

    @Test
    void refusesATargetThatIsNotCaughtUpOrADegradedCluster() {
        var lagging = keepers(primary("a", 1000, List.of("b")), standby("b", 1000, "a"), standby("c", 10, "a"));
        assertThat(Plans.check(switchover("c"), NORMAL, lagging, MEMBERS, SPEC).refusal())
                .isEqualTo("c is not caught up with leader a (it is not streaming from it yet)");
        var down = keepers(primary("a", 1000, List.of("b")), standby("b", 1000, "a"));
        assertThat(Plans.check(switchover("c"), NORMAL, down, MEMBERS, SPEC).refusal())
                .isEqualTo("c is not running (its keeper does not report)");
        ClusterView fencing = new ClusterView(
                6,
                null,
                List.of(),
                List.of("b"),
                List.of(),
                Phase.FAILOVER_FENCING,
                null,
                "no leader: waiting",
                "a",
                NOW);
        assertThat(Plans.check(switchover("b"), fencing, healthy(), MEMBERS, SPEC)
                        .refusal())
                .startsWith("the cluster has no serving leader right now (phase FAILOVER_FENCING: no leader: waiting); "
                        + "if it stays leaderless, use pgha failover --to MEMBER --force");
    }

    @Test
    void aSwitchoverFencesThenWaitsForACleanStopAndTheLastWalThenPromotesTheTarget() {
        OperatorRequest accepted = switchover("b").accept("b", "accepted", 5);
        ClusterView s = Plans.next(NORMAL, healthy(), proxies(5), MEMBERS, SPEC, accepted, NOW);
        assertThat(s.phase()).isEqualTo(Phase.SWITCHOVER);
        assertThat(s.generation()).isEqualTo(6);
        assertThat(s.leader()).isNull();
        assertThat(s.formerLeader()).isEqualTo("a");
        assertThat(s.cause())
                .as("the leader's keeper demotes, it is not fenced")
                .isEqualTo(Cause.SWITCHOVER);

        // proxies not yet acked
        assertThat(Plans.next(s, healthy(), proxies(5), MEMBERS, SPEC, accepted, NOW)
                        .explanation())
                .contains("waiting for the proxies of a, b, c");
        // a still runs
        assertThat(Plans.next(s, healthy(), proxies(6), MEMBERS, SPEC, accepted, NOW)
                        .explanation())
                .isEqualTo("switchover: waiting for leader a to shut down cleanly");
        // a stopped at 1200; b has 1100 so far
        var stopping = keepers(stoppedAt("a", 1200), standby("b", 1100, null), standby("c", 1100, null));
        assertThat(Plans.next(s, stopping, proxies(6), MEMBERS, SPEC, accepted, NOW)
                        .explanation())
                .isEqualTo("switchover: waiting for b to receive the last WAL of a (it has 0/44C, a ended at 0/4B0)");
        // b received past a's shutdown checkpoint: promote it
        var caughtUp = keepers(stoppedAt("a", 1200), standby("b", 1240, null), standby("c", 1240, null));
        ClusterView p = Plans.next(s, caughtUp, proxies(6), MEMBERS, SPEC, accepted, NOW);
        assertThat(p.phase()).isEqualTo(Phase.FAILOVER_PROMOTING);
        assertThat(p.leader()).isEqualTo("b");
        // b reports itself primary at that generation: NORMAL, with the switchover named
        KeeperStatus promoted =
                Statuses.primary("b", 1300).timeline(2).applied(p.generation()).build();
        ClusterView n =
                Plans.next(p, keepers(stoppedAt("a", 1200), promoted), proxies(7), MEMBERS, SPEC, accepted, NOW);
        assertThat(n.phase()).isEqualTo(Phase.NORMAL);
        assertThat(n.leader()).isEqualTo("b");
        assertThat(n.explanation()).isEqualTo("member b leads (switchover from a)");
        assertThat(n.cause())
                .as("a follows b without a rewind: b received all of its WAL")
                .isEqualTo(Cause.SWITCHOVER);
        assertThat(n.formerLeader()).isEqualTo("a");
    }

    @Test
    void aSwitchoverThatCannotCompleteFallsBackToTheFailoverRules() {
        OperatorRequest accepted = switchover("c").accept("c", "accepted", 5);
        ClusterView s = Plans.next(NORMAL, healthy(), proxies(5), MEMBERS, SPEC, accepted, NOW);
        // c went away: the synchronous standby with the most WAL is promoted instead
        var cGone = keepers(stoppedAt("a", 1200), standby("b", 1240, null));
        ClusterView p = Plans.next(s, cGone, proxies(6), MEMBERS, SPEC, accepted, NOW);
        assertThat(p.leader()).isEqualTo("b");
        assertThat(p.explanation())
                .isEqualTo("switchover abandoned (c is no longer a running standby); promoting b (it has "
                        + "received all of a's WAL)");
        assertThat(p.cause())
                .as("b holds all of a's WAL: a handover all the same")
                .isEqualTo(Cause.SWITCHOVER);
        // a never stops within the timeout: the switchover goes on as a failover, fencing first, so that the
        // standbys stop receiving and report final WAL positions before one is chosen
        var aStuck = keepers(primary("a", 1000, List.of()), standby("b", 1000, null), standby("c", 1000, null));
        // timed on the sentinel's own clock: a wall clock an hour ahead (another node wrote the view) changes nothing
        ClusterView skewed =
                Plans.next(s, aStuck, proxies(6), MEMBERS, SPEC, accepted, Liveness.fresh(), NOW.plusSeconds(3600));
        assertThat(skewed.phase()).isEqualTo(Phase.SWITCHOVER);
        ClusterView late = Plans.next(
                s,
                aStuck,
                proxies(6),
                MEMBERS,
                SPEC,
                accepted,
                new Liveness(Map.of(), Map.of(), Set.of(), RequestTimeouts.SWITCHOVER.plusSeconds(1), null, Map.of()),
                NOW);
        assertThat(late.explanation())
                .isEqualTo("switchover abandoned (it did not complete within 30s); failing over; fencing");
        assertThat(late.cause()).isEqualTo(Cause.FAILOVER);
        assertThat(late.phase()).isEqualTo(Phase.FAILOVER_FENCING);
        assertThat(late.leader()).isNull();
        assertThat(late.formerLeader()).isEqualTo("a");
        assertThat(late.generation()).isEqualTo(s.generation() + 1);
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
                null,
                "no leader: no synchronous standby was in sync",
                "a",
                NOW);
        var ks = keepers(standby("b", 900, null), standby("c", 800, null));
        // without the operator, nobody is promoted
        assertThat(Plans.next(leaderless, ks, proxies(6), MEMBERS, SPEC, NOW).leader())
                .isNull();
        OperatorRequest force = new OperatorRequest(
                "r2", OperatorRequest.Kind.FAILOVER, "c", OperatorRequest.State.PENDING, null, 0, NOW);
        RequestRules.Verdict v = Plans.check(force, leaderless, ks, MEMBERS, SPEC);
        assertThat(v.target()).isEqualTo("c");
        ClusterView p = Plans.next(leaderless, ks, proxies(6), MEMBERS, SPEC, force.accept("c", "ok", 6), NOW);
        assertThat(p.leader()).isEqualTo("c");
        assertThat(p.phase()).isEqualTo(Phase.FAILOVER_PROMOTING);
        assertThat(p.explanation()).startsWith("forced failover (pgha failover --force): promoting c");
        assertThat(p.cause()).isEqualTo(Cause.OPERATOR);
        assertThat(p.cause().planned()).isTrue();
        // refused while the cluster has a leader
        assertThat(Plans.check(force, NORMAL, healthy(), MEMBERS, SPEC).refusal())
                .startsWith("the cluster is not leaderless (leader a, phase NORMAL)");
    }
}
