package dev.pgha.sentinel;

import static dev.pgha.sentinel.Plans.keepers;
import static dev.pgha.sentinel.Plans.proxies;
import static org.assertj.core.api.Assertions.assertThat;

import dev.pgha.common.model.Cause;
import dev.pgha.common.model.ClusterSpec;
import dev.pgha.common.model.ClusterView;
import dev.pgha.common.model.KeeperStatus;
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

/** The failover and synchronous-replication rules of {@link ViewPlanner}, on a three-member cluster a, b, c. */
class FailoverRulesTest {
    private static final Instant NOW = Instant.parse("2026-11-23T12:00:00Z");
    private static final Set<String> MEMBERS = Set.of("a", "b", "c");
    private static final ClusterSpec SPEC = ClusterSpec.of(null);
    private static final ClusterSpec ASYNC =
            new ClusterSpec(null, ClusterSpec.SyncMode.OFF, false, Duration.ofSeconds(10));

    private static KeeperStatus primary(String id, long lsn, List<String> streaming, List<String> syncNames) {
        return primary(id, lsn, streaming, syncNames, false);
    }

    /** {@code confirmed}: a member it waits for has flushed past what it may have acknowledged alone. */
    private static KeeperStatus primary(
            String id, long lsn, List<String> streaming, List<String> syncNames, boolean confirmed) {
        return primary(id, lsn, 10, streaming, syncNames, confirmed);
    }

    /** {@code applied}: the view generation its keeper has converged to. */
    private static KeeperStatus primary(
            String id, long lsn, long applied, List<String> streaming, List<String> syncNames, boolean confirmed) {
        return Statuses.primary(id, lsn)
                .applied(applied)
                .streaming(streaming)
                .synchronousNames(syncNames)
                .confirmed(confirmed)
                .build();
    }

    /** Later than any view in these tests: a standby that follows nobody has settled (its positions are final). */
    private static final long SETTLED = 100;

    /** Streaming from {@code following}; following nobody (null), it has stopped receiving and settled. */
    private static KeeperStatus standby(String id, long lsn, String following) {
        return standby(id, null, lsn, following);
    }

    private static KeeperStatus standby(String id, String region, long lsn, String following) {
        return standby(id, region, lsn, following, following == null ? SETTLED : 0);
    }

    private static KeeperStatus standby(String id, String region, long lsn, String following, long walFinal) {
        return Statuses.standby(id, lsn, following)
                .region(region)
                .walFinal(walFinal)
                .build();
    }

    private static KeeperStatus stopped(String id) {
        return Statuses.down(id, "waiting").applied(0).build();
    }

    private static ClusterView normal(long gen, String leader, List<String> sync, List<String> requested) {
        return new ClusterView(gen, leader, List.of(), sync, requested, Phase.NORMAL, null, "r", null, null);
    }

    private static ClusterView failover(long gen, Phase phase, String leader, String former, List<String> sync) {
        return new ClusterView(gen, leader, List.of(), sync, List.of(), phase, null, "r", former, null);
    }

    // ---- detection ----

    @Test
    void lostLeaderStartsFencingAndKeepsTheSynchronousSet() {
        ClusterView next = Plans.next(
                normal(5, "a", List.of("b", "c"), List.of("b", "c")),
                keepers(standby("b", 100, "a"), standby("c", 90, "a")),
                proxies(5, "b", "c"),
                MEMBERS,
                SPEC,
                NOW);
        assertThat(next.generation()).isEqualTo(6);
        assertThat(next.phase()).isEqualTo(Phase.FAILOVER_FENCING);
        assertThat(next.leader()).isNull();
        assertThat(next.formerLeader()).isEqualTo("a");
        assertThat(next.cause()).isEqualTo(Cause.FAILOVER);
        assertThat(next.cause().planned()).isFalse();
        assertThat(next.syncStandbys()).containsExactly("b", "c");
        assertThat(next.syncRequested()).isEmpty();
        assertThat(next.explanation()).contains("leader a was lost");
    }

    /** Seen by the sentinel: each keeper silent and unhealthy for the given seconds (-1: healthy). */
    private static Liveness seen(String id, long silentSeconds, long unhealthySeconds) {
        return Liveness.of(
                Map.of(id, Duration.ofSeconds(silentSeconds)),
                unhealthySeconds < 0 ? Map.of() : Map.of(id, Duration.ofSeconds(unhealthySeconds)),
                null);
    }

    @Test
    void unhealthyLeaderIsReplacedOnlyAfterFailTimeoutOnTheSentinelsClock() {
        ClusterView view = normal(5, "a", List.of("b"), List.of("b"));
        // its keeper's clock says unhealthy for an hour (skewed, or from before this sentinel was elected): only what
        // the sentinel itself has seen counts
        KeeperStatus sick = Statuses.down("a", "postgres exited")
                .applied(5)
                .unhealthySince(NOW.minusSeconds(3600))
                .build();
        var ks = keepers(sick, standby("b", 100, "a"));
        var px = proxies(5, "a", "b");
        assertThat(Plans.next(view, ks, px, MEMBERS, SPEC, null, seen("a", 0, 9), NOW)
                        .phase())
                .isEqualTo(Phase.NORMAL);
        ClusterView later = Plans.next(view, ks, px, MEMBERS, SPEC, null, seen("a", 0, 10), NOW);
        assertThat(later.phase()).isEqualTo(Phase.FAILOVER_FENCING);
        assertThat(later.explanation()).contains("unhealthy for more than 10s").contains("postgres exited");
    }

    @Test
    void aLeaderWhoseKeeperStopsReportingIsReplacedAfterFailTimeoutOnTheSentinelsClock() {
        ClusterView view = normal(5, "a", List.of("b"), List.of("b"));
        var ks = keepers(primary("a", 100, List.of("b"), List.of("b")), standby("b", 100, "a"));
        // the stamps in the statuses mean nothing to the rule: a wall clock an hour ahead is no silence
        assertThat(Plans.next(view, ks, proxies(5), MEMBERS, SPEC, null, seen("a", 10, -1), NOW.plusSeconds(3600))
                        .phase())
                .isEqualTo(Phase.NORMAL);
        ClusterView stale = Plans.next(view, ks, proxies(5), MEMBERS, SPEC, null, seen("a", 11, -1), NOW);
        assertThat(stale.phase()).isEqualTo(Phase.FAILOVER_FENCING);
        assertThat(stale.explanation()).contains("leader a has not reported its status for more than 10s");
    }

    @Test
    void afterItsOwnSessionExpiredTheSentinelWaitsFailTimeoutForTheLeadersStatusToReturn() {
        ClusterView view = normal(5, "a", List.of("b"), List.of("b"));
        var ks = keepers(standby("b", 100, "a"));
        Liveness back = Liveness.of(Map.of(), Map.of(), Duration.ofSeconds(3));
        ClusterView waiting = Plans.next(view, ks, proxies(5, "b"), MEMBERS, SPEC, null, back, NOW);
        assertThat(waiting.generation()).isEqualTo(5);
        assertThat(waiting.leader()).isEqualTo("a");
        assertThat(waiting.explanation())
                .isEqualTo("the cluster store is back after an outage; waiting up to 10s (cluster.failTimeout) for "
                        + "leader a to report again");
        Liveness longBack = Liveness.of(Map.of(), Map.of(), Duration.ofSeconds(10));
        ClusterView lost = Plans.next(view, ks, proxies(5, "b"), MEMBERS, SPEC, null, longBack, NOW);
        assertThat(lost.phase()).isEqualTo(Phase.FAILOVER_FENCING);
        assertThat(lost.explanation()).contains("leader a was lost");
        // seen reporting on a live session since the store came back, then gone: lost at once
        Liveness seenThenGone =
                new Liveness(Map.of(), Map.of(), Set.of("a"), Duration.ZERO, Duration.ofSeconds(4), Map.of());
        assertThat(Plans.next(view, ks, proxies(5, "b"), MEMBERS, SPEC, null, seenThenGone, NOW)
                        .phase())
                .isEqualTo(Phase.FAILOVER_FENCING);
    }

    // ---- fencing, then choosing ----

    @Test
    void waitsForEveryLiveProxyToAcknowledgeBeforeChoosing() {
        ClusterView fencing = failover(6, Phase.FAILOVER_FENCING, null, "a", List.of("b", "c"));
        var ks = keepers(standby("b", 100, null), standby("c", 90, null));
        Map<String, ProxyStatus> px = new LinkedHashMap<>(proxies(6, "b"));
        px.putAll(proxies(5, "c"));
        ClusterView next = Plans.next(fencing, ks, px, MEMBERS, SPEC, NOW);
        assertThat(next.generation()).isEqualTo(6);
        assertThat(next.leader()).isNull();
        assertThat(next.explanation()).contains("waiting for the proxies of c");
    }

    @Test
    void promotesTheSynchronousStandbyWithTheMostWal() {
        ClusterView fencing = failover(6, Phase.FAILOVER_FENCING, null, "a", List.of("b", "c"));
        ClusterView next = Plans.next(
                fencing,
                keepers(standby("b", 100, null), standby("c", 120, null)),
                proxies(6, "b", "c"),
                MEMBERS,
                SPEC,
                NOW);
        assertThat(next.generation()).isEqualTo(7);
        assertThat(next.phase()).isEqualTo(Phase.FAILOVER_PROMOTING);
        assertThat(next.leader()).isEqualTo("c");
    }

    @Test
    void comparesWalPositionsOnlyOnceEverySynchronousStandbyReportsThemFinal() {
        // The lost write of the chaos suite: a was cut off from b first, so c alone acknowledged its last commits.
        // c's status came back with a new store session, republished from before it had them (final at no
        // generation, or at an earlier failover's): comparing it would promote b and lose them.
        ClusterView fencing = failover(6, Phase.FAILOVER_FENCING, null, "a", List.of("b", "c"));
        for (KeeperStatus c : List.of(standby("c", null, 90, "a", 0), standby("c", null, 90, null, 5))) {
            ClusterView waiting =
                    Plans.next(fencing, keepers(standby("b", 100, null), c), proxies(6, "b", "c"), MEMBERS, SPEC, NOW);
            assertThat(waiting.leader()).isNull();
            assertThat(waiting.generation()).isEqualTo(6);
            assertThat(waiting.cause()).isEqualTo(Cause.NO_CANDIDATE);
            assertThat(waiting.explanation())
                    .isEqualTo("no leader: waiting for c to stop receiving WAL from leader a and report final WAL "
                            + "positions, so that the member with the most WAL is chosen");
        }
        ClusterView next = Plans.next(
                fencing,
                keepers(standby("b", null, 100, null, 6), standby("c", null, 120, null, 6)),
                proxies(6, "b", "c"),
                MEMBERS,
                SPEC,
                NOW);
        assertThat(next.leader()).as("final at the failover's own generation").isEqualTo("c");
    }

    @Test
    void asynchronousClustersAlsoCompareOnlyFinalWalPositions() {
        ClusterView fencing = failover(6, Phase.FAILOVER_FENCING, null, "a", List.of());
        ClusterView waiting = Plans.next(
                fencing, keepers(standby("b", 100, null), standby("c", 90, "a")), proxies(6), MEMBERS, ASYNC, NOW);
        assertThat(waiting.leader()).isNull();
        assertThat(waiting.explanation()).contains("waiting for c to stop receiving WAL from leader a");
        assertThat(Plans.next(
                                fencing,
                                keepers(standby("b", 100, null), standby("c", 90, null)),
                                proxies(6),
                                MEMBERS,
                                ASYNC,
                                NOW)
                        .leader())
                .isEqualTo("b");
    }

    /** A settled standby that heard leader a's WAL sender say its WAL reached {@code leaderWalEnd}. */
    private static KeeperStatus heard(String id, long lsn, long leaderWalEnd) {
        return Statuses.standby(id, lsn, null)
                .walFinal(SETTLED)
                .leaderWalEnd(leaderWalEnd)
                .build();
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            # what was known of a's WAL end        | limit    | b's WAL   | c heard   | sentinel saw a | a back at | leader | reason
            standbys heard a 0.5 MB ahead of b      | 1000000  | 5000000   | 5500000   | 0              | 0         | b      | healthy standby with the most WAL
            standbys heard a 1.5 MB ahead of b      | 1000000  | 5000000   | 6500000   | 0              | 0         |        | b, the standby with the most WAL, lacks 1.50 MB of what leader a was last known to have, more than cluster.maximumLagOnFailover (1.00 MB): promoting it could lose acknowledged writes; waiting for member a to return (`pgha failover --to b` accepts the loss)
            the sentinel saw a 2 MB ahead of b      | 1000000  | 5000000   | 0         | 7000000        | 0         |        | lacks 2.00 MB of what leader a was last known to have
            exactly at the limit                    | 1000000  | 5000000   | 6000000   | 0              | 0         | b      | healthy standby with the most WAL
            no limit (0)                            | 0        | 5000000   | 6500000   | 7000000        | 0         | b      | healthy standby with the most WAL
            nobody knows where a's WAL ended        | 1000000  | 5000000   | 0         | 0              | 0         | b      | healthy standby with the most WAL
            b holds more than anyone heard of       | 1000000  | 9000000   | 6500000   | 7000000        | 0         | b      | healthy standby with the most WAL
            too far behind, and a is back           | 1000000  | 5000000   | 6500000   | 0              | 6600000   | a      | the former leader is back and nobody else was promoted
            """)
    void withoutSynchronousReplicationAStandbyTooFarBehindIsNotPromoted(
            String what,
            long limit,
            long bLsn,
            long cHeard,
            long sentinelSaw,
            long aBackAt,
            String leader,
            String reason) {
        ClusterSpec spec = ASYNC.withMaximumLagOnFailover(limit);
        ClusterView fencing = failover(6, Phase.FAILOVER_FENCING, null, "a", List.of());
        Map<String, KeeperStatus> ks = keepers(heard("b", bLsn, 0), heard("c", 4_000_000, cHeard));
        if (aBackAt > 0) {
            ks.put("a", primary("a", aBackAt, List.of(), List.of()));
        }
        Liveness liveness = sentinelSaw > 0 ? Liveness.sawPrimaryAt("a", sentinelSaw) : Liveness.fresh();
        ClusterView next = Plans.next(fencing, ks, proxies(6), MEMBERS, spec, null, liveness, NOW);
        assertThat(next.leader()).as(what).isEqualTo(leader);
        assertThat(next.explanation()).as(what).contains(reason);
        if (leader == null) {
            assertThat(next.cause()).isEqualTo(Cause.NO_CANDIDATE);
        }
    }

    @Test
    void synchronousReplicationNeedsNoLagLimit() {
        // b is synchronous: it holds every acknowledged commit, whatever a's WAL sender said beyond it
        ClusterView fencing = failover(6, Phase.FAILOVER_FENCING, null, "a", List.of("b"));
        ClusterView next = Plans.next(
                fencing,
                keepers(heard("b", 5_000_000, 0), heard("c", 4_000_000, 9_000_000)),
                proxies(6),
                MEMBERS,
                SPEC,
                null,
                Liveness.sawPrimaryAt("a", 9_000_000),
                NOW);
        assertThat(next.leader()).isEqualTo("b");
    }

    @Test
    void neverPromotesAStandbyOutsideTheSynchronousSet() {
        // d has the most WAL but was never in sync: only b may be promoted
        ClusterView fencing = failover(6, Phase.FAILOVER_FENCING, null, "a", List.of("b"));
        ClusterView next = Plans.next(
                fencing,
                keepers(standby("b", 100, null), standby("d", 500, null)),
                proxies(6, "b", "d"),
                Set.of("a", "b", "d"),
                SPEC,
                NOW);
        assertThat(next.leader()).isEqualTo("b");
    }

    @Test
    void refusesWhenASynchronousStandbyIsMissing() {
        ClusterView fencing = failover(6, Phase.FAILOVER_FENCING, null, "a", List.of("b", "c"));
        ClusterView next = Plans.next(fencing, keepers(standby("b", 100, null)), proxies(6, "b"), MEMBERS, SPEC, NOW);
        assertThat(next.generation()).isEqualTo(6);
        assertThat(next.leader()).isNull();
        assertThat(next.explanation()).startsWith("no leader: synchronous standby c is not reporting");
        assertThat(next.cause()).isEqualTo(Cause.NO_CANDIDATE);
        assertThat(next.reason()).as("the words without the prefix").startsWith("synchronous standby c");
    }

    @Test
    void refusesWithoutASynchronousStandbyAndSaysWhy() {
        ClusterView fencing = failover(6, Phase.FAILOVER_FENCING, null, "a", List.of());
        ClusterView next = Plans.next(
                fencing,
                keepers(standby("b", 100, null), standby("c", 100, null)),
                proxies(6, "b", "c"),
                MEMBERS,
                SPEC,
                NOW);
        assertThat(next.leader()).isNull();
        assertThat(next.explanation())
                .isEqualTo(
                        "no leader: no synchronous standby was in sync when leader a was lost, so "
                                + "any other member may miss acknowledged writes; automatic failover refused until member a returns");
    }

    @Test
    void theFormerLeaderMayLeadAgainWhenItReturnsBeforeAnyPromotion() {
        ClusterView fencing = failover(6, Phase.FAILOVER_FENCING, null, "a", List.of());
        ClusterView next = Plans.next(
                fencing, keepers(stopped("a"), standby("b", 100, null)), proxies(6, "a", "b"), MEMBERS, SPEC, NOW);
        assertThat(next.phase()).isEqualTo(Phase.FAILOVER_PROMOTING);
        assertThat(next.leader()).isEqualTo("a");
        // a single node restarting: the same rule brings it back
        ClusterView single = Plans.next(
                failover(3, Phase.FAILOVER_FENCING, null, "a", List.of()),
                keepers(stopped("a")),
                proxies(3, "a"),
                Set.of("a"),
                SPEC,
                NOW);
        assertThat(single.leader()).isEqualTo("a");
    }

    @Test
    void asynchronousClustersPromoteTheHealthyStandbyWithTheMostWalInThePrimaryRegion() {
        ClusterSpec ams = new ClusterSpec("ams", ClusterSpec.SyncMode.OFF, false, Duration.ofSeconds(10));
        ClusterView fencing = failover(6, Phase.FAILOVER_FENCING, null, "a", List.of());
        ClusterView next = Plans.next(
                fencing,
                keepers(standby("b", "lhr", 900, null), standby("c", "ams", 100, null)),
                proxies(6, "b", "c"),
                MEMBERS,
                ams,
                NOW);
        assertThat(next.leader()).isEqualTo("c");
        ClusterView none =
                Plans.next(fencing, keepers(standby("b", "lhr", 900, null)), proxies(6, "b"), MEMBERS, ams, NOW);
        assertThat(none.leader()).isNull();
        assertThat(none.explanation()).contains("b is outside primary region ams");
        assertThat(Plans.next(
                                fencing,
                                keepers(standby("b", 5, null), standby("c", 7, null)),
                                proxies(6),
                                MEMBERS,
                                ASYNC,
                                NOW)
                        .leader())
                .isEqualTo("c");
    }

    // ---- promotion ----

    @Test
    void promotionEndsWhenTheCandidateServesAsPrimary() {
        ClusterView promoting = failover(7, Phase.FAILOVER_PROMOTING, "b", "a", List.of("b", "c"));
        assertThat(Plans.next(
                        promoting,
                        keepers(standby("b", 100, "a"), standby("c", 90, "a")),
                        proxies(7),
                        MEMBERS,
                        SPEC,
                        NOW))
                .isEqualTo(promoting);
        ClusterView done = Plans.next(
                promoting,
                keepers(primary("b", 100, List.of(), List.of()), standby("c", 90, "a")),
                proxies(7),
                MEMBERS,
                SPEC,
                NOW);
        assertThat(done.phase()).isEqualTo(Phase.NORMAL);
        assertThat(done.leader()).isEqualTo("b");
        assertThat(done.generation()).isEqualTo(8);
        assertThat(done.syncStandbys()).isEmpty();
        assertThat(done.formerLeader())
                .as("the view keeps naming the leader before")
                .isEqualTo("a");
        assertThat(done.routable()).isTrue();
    }

    @Test
    void aCandidateLostDuringPromotionIsReplaced() {
        ClusterView promoting = failover(7, Phase.FAILOVER_PROMOTING, "b", "a", List.of("b", "c"));
        ClusterView next = Plans.next(promoting, keepers(standby("c", 90, "a")), proxies(7), MEMBERS, SPEC, NOW);
        assertThat(next.phase()).isEqualTo(Phase.FAILOVER_FENCING);
        assertThat(next.leader()).isNull();
        assertThat(next.formerLeader()).isEqualTo("a");
    }

    // ---- the synchronous set ----

    @Test
    void aCaughtUpStandbyEntersBothSetsInOneGeneration() {
        ClusterView next = Plans.next(
                normal(8, "a", List.of("b"), List.of("b")),
                keepers(
                        primary("a", 100, List.of("b", "c"), List.of("b")),
                        standby("b", 100, "a"),
                        standby("c", 100, "a")),
                proxies(8),
                MEMBERS,
                SPEC,
                NOW);
        assertThat(next.generation()).isEqualTo(9);
        assertThat(next.syncStandbys()).containsExactly("b", "c");
        assertThat(next.syncRequested()).containsExactly("b", "c");
        assertThat(next.synchronousNames()).containsExactly("b", "c");
        assertThat(next.standbys()).containsExactly("b", "c");
        assertThat(next.explanation()).isEqualTo("member a leads; synchronous standbys: b, c");
    }

    @Test
    void afterServingAloneAStandbyIsPromotableOnlyOnceTheLeaderConfirmsItHasEverything() {
        // a acknowledged commits alone: b, caught up a moment ago, may not have the last of them yet
        ClusterView waitFor = Plans.next(
                normal(8, "a", List.of(), List.of()),
                keepers(primary("a", 100, List.of("b"), List.of()), standby("b", 100, "a"), standby("c", 50, "a")),
                proxies(8),
                MEMBERS,
                SPEC,
                NOW);
        assertThat(waitFor.generation()).isEqualTo(9);
        assertThat(waitFor.syncRequested()).containsExactly("b");
        assertThat(waitFor.syncStandbys()).as("nobody promotable yet").isEmpty();
        assertThat(waitFor.awaitedNames())
                .as("the leader waits for b all the same")
                .containsExactly("b");
        assertThat(waitFor.synchronousNames()).isEmpty();
        assertThat(waitFor.explanation())
                .isEqualTo("member a leads; b catching up with what the leader acknowledged alone: automatic "
                        + "failover is off until the leader confirms one has it all");
        KeeperStatus b = standby("b", 100, "a");
        KeeperStatus c = standby("c", 50, "a");
        // waiting for b, not confirmed yet: nothing changes
        assertThat(Plans.next(
                        waitFor,
                        keepers(primary("a", 110, List.of("b"), List.of("b"), false), b, c),
                        proxies(9),
                        MEMBERS,
                        SPEC,
                        NOW))
                .isEqualTo(waitFor);
        ClusterView confirmed = Plans.next(
                waitFor,
                keepers(primary("a", 110, List.of("b"), List.of("b"), true), b, c),
                proxies(9),
                MEMBERS,
                SPEC,
                NOW);
        assertThat(confirmed.generation()).isEqualTo(10);
        assertThat(confirmed.syncStandbys()).containsExactly("b");
        assertThat(confirmed.synchronousNames()).containsExactly("b");
        assertThat(confirmed.explanation()).isEqualTo("member a leads; synchronous standbys: b");
    }

    @Test
    void whenNobodyIsLeftToWaitForTheSetEmptiesViewFirstOnceTheLeaderHasAppliedThat() {
        // b stopped streaming: it leaves syncRequested, but stays promotable, and the leader keeps waiting for it
        ClusterView view = normal(8, "a", List.of("b"), List.of("b"));
        var ks = keepers(primary("a", 100, 8, List.of(), List.of("b"), true), standby("b", 90, null));
        ClusterView step1 = Plans.next(view, ks, proxies(8), MEMBERS, SPEC, NOW);
        assertThat(step1.generation()).isEqualTo(9);
        assertThat(step1.syncRequested()).isEmpty();
        assertThat(step1.syncStandbys()).containsExactly("b");
        assertThat(step1.awaitedNames()).as("the leader still waits for b").containsExactly("b");
        // the leader has not applied generation 9 yet (or died before it could: the kill of a leader node makes
        // its standbys stop streaming too): b stays promotable, as it holds everything acknowledged
        assertThat(Plans.next(step1, ks, proxies(9), MEMBERS, SPEC, NOW)).isEqualTo(step1);
        // once the leader runs generation 9 (waiting for b), the view empties first; the leader acknowledges alone
        // only when it applies generation 10, when nobody is promotable any more
        var applied = keepers(primary("a", 100, 9, List.of(), List.of("b"), true), standby("b", 90, null));
        ClusterView step2 = Plans.next(step1, applied, proxies(9), MEMBERS, SPEC, NOW);
        assertThat(step2.generation()).isEqualTo(10);
        assertThat(step2.syncStandbys()).isEmpty();
        assertThat(step2.awaitedNames()).isEmpty();
        // a leader whose postgres is down acknowledges nothing: b stays promotable
        var down = keepers(stopped("a"), standby("b", 90, null));
        assertThat(Plans.next(step1, down, proxies(9), MEMBERS, SPEC, NOW).syncStandbys())
                .containsExactly("b");
        // a leader that is stopping (SIGTERM; the whole cluster stopped at once, say) does not go on alone: b stays
        // promotable, so the standbys can elect one of themselves if it does not come back
        var stopping = keepers(
                Statuses.primary("a", 100)
                        .applied(9)
                        .synchronousNames(List.of("b"))
                        .confirmed(true)
                        .stopping()
                        .build(),
                standby("b", 90, null));
        assertThat(Plans.next(step1, stopping, proxies(9), MEMBERS, SPEC, NOW).syncStandbys())
                .containsExactly("b");
        // strict: writes wait for nobody-in-sync, so nothing is acknowledged alone and b stays
        ClusterSpec strict = new ClusterSpec(null, ClusterSpec.SyncMode.AUTO, true, Duration.ofSeconds(10));
        assertThat(Plans.next(step1, applied, proxies(9), MEMBERS, strict, NOW).syncStandbys())
                .containsExactly("b");
    }

    @Test
    void aStandbyLeavesPostgresFirstAndTheViewLast() {
        ClusterView view = normal(8, "a", List.of("b", "c"), List.of("b", "c"));
        // c fell behind: it leaves the requested set, but stays promotable while postgres may still wait for it
        ClusterView step1 = Plans.next(
                view,
                keepers(
                        primary("a", 100, List.of("b"), List.of("b", "c")),
                        standby("b", 100, "a"),
                        standby("c", 50, "a")),
                proxies(8),
                MEMBERS,
                SPEC,
                NOW);
        assertThat(step1.generation()).isEqualTo(9);
        assertThat(step1.syncRequested()).containsExactly("b");
        assertThat(step1.syncStandbys()).containsExactly("b", "c");
        // the leader has not applied generation 9 yet: nothing changes
        KeeperStatus notApplied = Statuses.primary("a", 100)
                .applied(8)
                .streaming(List.of("b"))
                .synchronousNames(List.of("b"))
                .build();
        assertThat(Plans.next(
                                step1,
                                keepers(notApplied, standby("b", 100, "a"), standby("c", 50, "a")),
                                proxies(9),
                                MEMBERS,
                                SPEC,
                                NOW)
                        .syncStandbys())
                .containsExactly("b", "c");
        // applied, and postgres waits for b only: c leaves the view
        ClusterView step2 = Plans.next(
                step1,
                keepers(primary("a", 100, List.of("b"), List.of("b")), standby("b", 100, "a"), standby("c", 50, "a")),
                proxies(9),
                MEMBERS,
                SPEC,
                NOW);
        assertThat(step2.generation()).isEqualTo(10);
        assertThat(step2.syncStandbys()).containsExactly("b");
    }

    @Test
    void noSynchronousStandbyIsReported() {
        ClusterView next = Plans.next(
                normal(8, "a", List.of(), List.of()),
                keepers(primary("a", 100, List.of(), List.of()), standby("b", 10, "a")),
                proxies(8),
                MEMBERS,
                SPEC,
                NOW);
        assertThat(next.generation()).isEqualTo(8);
        assertThat(next.explanation())
                .isEqualTo("member a leads; no synchronous standby is in sync: the leader serves alone "
                        + "and automatic failover is off until one catches up");
    }

    @Test
    void standbysOutsideThePrimaryRegionNeverBecomeSynchronous() {
        ClusterSpec ams = new ClusterSpec("ams", ClusterSpec.SyncMode.AUTO, false, Duration.ofSeconds(10));
        ClusterView next = Plans.next(
                normal(8, "a", List.of(), List.of()),
                keepers(primary("a", 100, List.of("b"), List.of()), standby("b", "lhr", 100, "a")),
                proxies(8),
                MEMBERS,
                ams,
                NOW);
        assertThat(next.syncStandbys()).isEmpty();
    }

    @Test
    void asynchronousModeKeepsNoSynchronousSet() {
        ClusterView next = Plans.next(
                normal(8, "a", List.of(), List.of()),
                keepers(primary("a", 100, List.of("b"), List.of()), standby("b", 100, "a")),
                proxies(8),
                MEMBERS,
                ASYNC,
                NOW);
        assertThat(next.syncStandbys()).isEmpty();
        assertThat(next.generation()).isEqualTo(8);
    }
}
