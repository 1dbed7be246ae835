package dev.pgha.keeper;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pgha.common.model.Cause;
import dev.pgha.common.model.ClusterView;
import dev.pgha.common.model.KeeperStatus;
import dev.pgha.common.model.OperatorRequest;
import dev.pgha.common.model.Phase;
import dev.pgha.common.model.Role;
import dev.pgha.common.model.Statuses;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class KeeperPlannerTest {
    private static ClusterView view(long generation, String leader, Phase phase) {
        return view(generation, leader, phase, null, null);
    }

    private static ClusterView view(long generation, String leader, Phase phase, Cause cause, String former) {
        return new ClusterView(
                generation,
                leader.equals("-") ? null : leader,
                List.of(),
                List.of(),
                List.of(),
                phase,
                cause,
                "",
                former,
                null);
    }

    /**
     * Each row: the view's phase; the request's kind, state and target ("-": no request); the former leader "old"
     * (up: still running; an LSN: stopped cleanly with its WAL ending there; "-": no status); where this member's
     * received WAL ends; whether "me" reports again within milliseconds.
     */
    @ParameterizedTest(name = "phase {0}, request {1} {2} to {3}, old {4}, received {5} -> {6}")
    @CsvSource({
        "SWITCHOVER, SWITCHOVER, ACCEPTED, me, up, 900, true",
        "SWITCHOVER, SWITCHOVER, ACCEPTED, me, -, 900, true",
        "SWITCHOVER, SWITCHOVER, ACCEPTED, me, 1000, 900, true",
        "SWITCHOVER, SWITCHOVER, ACCEPTED, me, 1000, 1000, true",
        "SWITCHOVER, SWITCHOVER, ACCEPTED, me, 1000, 1001, false",
        "SWITCHOVER, SWITCHOVER, ACCEPTED, other, up, 900, false",
        "SWITCHOVER, SWITCHOVER, PENDING, me, up, 900, false",
        "SWITCHOVER, -, -, -, up, 900, false",
        "NORMAL, SWITCHOVER, ACCEPTED, me, up, 900, false",
        "FAILOVER_PROMOTING, SWITCHOVER, ACCEPTED, me, 1000, 900, false",
        "FAILOVER_FENCING, FAILOVER, ACCEPTED, me, up, 900, false",
    })
    void theSwitchoverTargetReportsOftenUntilItHasReportedAllOfTheFormerLeadersWal(
            Phase phase, String kind, String state, String target, String old, long received, boolean soon) {
        OperatorRequest request = kind.equals("-")
                ? null
                : new OperatorRequest(
                        "r1",
                        OperatorRequest.Kind.valueOf(kind),
                        target,
                        OperatorRequest.State.valueOf(state),
                        "",
                        0,
                        Instant.EPOCH);
        KeeperStatus former = switch (old) {
            case "-" -> null;
            case "up" -> Statuses.primary("old", 800).build();
            default ->
                Statuses.down("old", "stopped").walEndsAt(Long.parseLong(old)).build();
        };
        assertThat(KeeperPlanner.reportsAgainSoon(
                        "me", view(9, "-", phase, Cause.SWITCHOVER, "old"), request, former, received))
                .isEqualTo(soon);
    }

    /**
     * Each row: the view's leader ("-" for none) and phase; this member's data, postgres, role, standby.signal,
     * the member its standby configuration points at ("-" none) and whether it is stuck; the action. This member
     * is "me".
     */
    @ParameterizedTest(
            name = "leader={0} {1}, initialized={2} running={3} {4} signal={5} upstream={6} stuck={7} -> {8}")
    @CsvSource({
        // no leader yet: wait, whatever the data (the sentinel designates)
        "-,  INITIALIZING,       false, false, NONE,    false, -, false, WAIT",
        "-,  INITIALIZING,       true,  false, NONE,    false, -, false, WAIT",
        "-,  INITIALIZING,       true,  true,  PRIMARY, false, -, false, WAIT",
        // designated: create the cluster, or start the existing one
        "me, INITIALIZING,       false, false, NONE,    false, -, false, INITIALIZE",
        "me, INITIALIZING,       true,  false, NONE,    false, -, false, START",
        "me, INITIALIZING,       true,  true,  PRIMARY, false, -, false, NONE",
        // leading
        "me, NORMAL,             true,  false, NONE,    false, -, false, START",
        "me, NORMAL,             true,  true,  PRIMARY, false, -, false, NONE",
        "me, NORMAL,             true,  true,  NONE,    false, -, false, WAIT",
        // leading an initialised cluster with an empty data directory: never initdb over it
        "me, NORMAL,             false, false, NONE,    false, -, false, REFUSE",
        // chosen by a failover: a standby is promoted; a stopped one is started first (then promoted)
        "me, FAILOVER_PROMOTING, true,  true,  STANDBY, true,  b, false, PROMOTE",
        "me, FAILOVER_PROMOTING, true,  false, NONE,    true,  b, false, START",
        "me, FAILOVER_PROMOTING, true,  true,  PRIMARY, false, -, false, NONE",
        // another member leads: a local primary is fenced at once, whatever the phase
        "b,  NORMAL,             true,  true,  PRIMARY, false, -, false, FENCE",
        "b,  INITIALIZING,       true,  true,  PRIMARY, false, -, false, FENCE",
        "b,  FAILOVER_PROMOTING, true,  true,  PRIMARY, false, -, false, FENCE",
        // another member is still creating the cluster: wait
        "b,  INITIALIZING,       false, false, NONE,    false, -, false, WAIT",
        // a new member clones the leader once it is confirmed
        "b,  NORMAL,             false, false, NONE,    false, -, false, CLONE",
        "b,  FAILOVER_PROMOTING, false, false, NONE,    false, -, false, WAIT",
        // a standby starts following the leader; a running one is repointed when the leader changed
        "b,  NORMAL,             true,  false, NONE,    true,  -, false, START",
        "b,  FAILOVER_PROMOTING, true,  false, NONE,    true,  a, false, START",
        "b,  NORMAL,             true,  true,  STANDBY, true,  a, false, FOLLOW",
        "b,  FAILOVER_PROMOTING, true,  true,  STANDBY, true,  a, false, FOLLOW",
        "b,  NORMAL,             true,  true,  STANDBY, true,  b, false, NONE",
        // a standby that cannot stream from the leader, or cannot even start, is rewound
        "b,  NORMAL,             true,  true,  STANDBY, true,  b, true,  REWIND",
        "b,  NORMAL,             true,  false, NONE,    true,  b, true,  REWIND",
        "b,  FAILOVER_PROMOTING, true,  false, NONE,    true,  b, true,  START",
        // data that was a primary (no standby.signal) is rewound before it follows anyone
        "b,  NORMAL,             true,  false, NONE,    false, -, false, REWIND",
        "b,  FAILOVER_PROMOTING, true,  false, NONE,    false, -, false, WAIT",
        // the cluster was made leaderless (failover under way): a local primary stops taking writes
        "-,  FAILOVER_FENCING,   true,  true,  PRIMARY, false, -, false, FENCE",
        // ... and a standby stops receiving WAL from the lost leader, so that its position is final while the
        // sentinel compares the candidates'; detached, it waits
        "-,  FAILOVER_FENCING,   true,  true,  STANDBY, true,  a, false, DETACH",
        "-,  FAILOVER_FENCING,   true,  true,  STANDBY, true,  -, false, WAIT",
        "-,  FAILOVER_FENCING,   true,  false, NONE,    false, -, false, WAIT",
        // in a switchover the target goes on receiving until it has the former leader's last WAL
        "-,  SWITCHOVER,         true,  true,  STANDBY, true,  a, false, WAIT",
        // ... but a stopped standby starts (without an upstream), so that it reports its WAL position
        "-,  FAILOVER_FENCING,   true,  false, NONE,    true,  -, false, START",
        "-,  INITIALIZING,       true,  false, NONE,    true,  -, false, WAIT",
    })
    void decides(
            String leader,
            Phase phase,
            boolean initialized,
            boolean running,
            Role role,
            boolean signal,
            String upstream,
            boolean stuck,
            KeeperAction.Kind expected) {
        KeeperAction action = KeeperPlanner.decide(
                "me",
                view(3, leader, phase),
                new KeeperPlanner.Local(
                        initialized, running, role, signal, upstream.equals("-") ? null : upstream, stuck, false));
        assertThat(action.kind()).isEqualTo(expected);
        assertThat(action.reason()).isNotBlank();
    }

    /**
     * Paused (`pgha pause`): the rows of {@link #decides} whose action starts postgres hold instead; everything else
     * is decided as without the pause. Each row: leader, phase, data, postgres, role, signal, upstream, stuck, the
     * action unpaused → paused.
     */
    @ParameterizedTest(name = "leader={0} {1}, initialized={2} running={3} {4} -> {8}, paused {9}")
    @CsvSource({
        // a leader or standby whose postgres stopped is not started again
        "me, NORMAL,             true,  false, NONE,    false, -, false, START,      HOLD",
        "b,  NORMAL,             true,  false, NONE,    true,  -, false, START,      HOLD",
        "-,  FAILOVER_FENCING,   true,  false, NONE,    true,  -, false, START,      HOLD",
        // nor cloned or rewound (both end in a start; a running standby is not stopped for a rewind either)
        "b,  NORMAL,             false, false, NONE,    false, -, false, CLONE,      HOLD",
        "b,  NORMAL,             true,  false, NONE,    false, -, false, REWIND,     HOLD",
        "b,  NORMAL,             true,  true,  STANDBY, true,  b, true,  REWIND,     HOLD",
        // a new cluster is still created; what keeps two leaders apart still runs
        "me, INITIALIZING,       false, false, NONE,    false, -, false, INITIALIZE, INITIALIZE",
        "b,  NORMAL,             true,  true,  PRIMARY, false, -, false, FENCE,      FENCE",
        "-,  FAILOVER_FENCING,   true,  true,  STANDBY, true,  a, false, DETACH,     DETACH",
        "b,  NORMAL,             true,  true,  STANDBY, true,  a, false, FOLLOW,     FOLLOW",
        "me, FAILOVER_PROMOTING, true,  true,  STANDBY, true,  b, false, PROMOTE,    PROMOTE",
        "me, NORMAL,             true,  true,  PRIMARY, false, -, false, NONE,       NONE",
    })
    void aPausedClusterStartsNoPostgresOnItsOwn(
            String leader,
            Phase phase,
            boolean initialized,
            boolean running,
            Role role,
            boolean signal,
            String upstream,
            boolean stuck,
            KeeperAction.Kind unpaused,
            KeeperAction.Kind paused) {
        ClusterView v = view(3, leader, phase);
        KeeperPlanner.Local local = new KeeperPlanner.Local(
                initialized, running, role, signal, upstream.equals("-") ? null : upstream, stuck, false);
        assertThat(KeeperPlanner.decide("me", v, local, false).kind()).isEqualTo(unpaused);
        KeeperAction action = KeeperPlanner.decide("me", v, local, true);
        assertThat(action.kind()).isEqualTo(paused);
        if (paused != unpaused) {
            assertThat(action.reason())
                    .startsWith("the cluster is paused: pgha neither starts nor stops postgres on its own (otherwise: ")
                    .endsWith("); `pgha resume`, or `pgha restart me` starts it");
        }
    }

    @Test
    void aSwitchoverAnOperatorAskedForCompletesWhilePaused() {
        // the former leader shut down cleanly and follows the new one without a rewind: that start is the operator's
        KeeperAction a = KeeperPlanner.decide(
                "me",
                view(9, "b", Phase.NORMAL, Cause.SWITCHOVER, "me"),
                new KeeperPlanner.Local(true, false, Role.NONE, false, null, false, true),
                true);
        assertThat(a.kind()).isEqualTo(KeeperAction.Kind.START);
    }

    @Test
    void aChosenStandbyThatPromisedAnotherLeaderWaitsForThePromiseToRunOut() {
        // failsafe: b promised a (which lost the store) not to promote; chosen meanwhile, it waits, then promotes
        ClusterView chosen = view(8, "me", Phase.FAILOVER_PROMOTING);
        KeeperAction held = KeeperPlanner.decide(
                "me", chosen, new KeeperPlanner.Local(true, true, Role.STANDBY, true, null, false, false, "a"));
        assertThat(held.kind()).isEqualTo(KeeperAction.Kind.WAIT);
        assertThat(held.reason())
                .isEqualTo("chosen to lead (generation 8), but this member promised member a (failsafe mode) not "
                        + "to promote yet: promoting once that promise runs out");
        KeeperAction free = KeeperPlanner.decide(
                "me", chosen, new KeeperPlanner.Local(true, true, Role.STANDBY, true, null, false, false, null));
        assertThat(free.kind()).isEqualTo(KeeperAction.Kind.PROMOTE);
        // a promise never stops a primary that already leads, nor a standby from following
        assertThat(KeeperPlanner.decide(
                                "me",
                                view(8, "me", Phase.NORMAL),
                                new KeeperPlanner.Local(true, true, Role.PRIMARY, false, null, false, false, "a"))
                        .kind())
                .isEqualTo(KeeperAction.Kind.NONE);
        assertThat(KeeperPlanner.decide(
                                "me",
                                view(8, "a", Phase.NORMAL),
                                new KeeperPlanner.Local(true, true, Role.STANDBY, true, "a", false, false, "a"))
                        .kind())
                .isEqualTo(KeeperAction.Kind.NONE);
    }

    @Test
    void refusalExplainsTheFix() {
        KeeperAction action = KeeperPlanner.decide(
                "me",
                view(7, "me", Phase.NORMAL),
                new KeeperPlanner.Local(false, false, Role.NONE, false, null, false, false));
        assertThat(action.reason())
                .contains("generation 7")
                .contains("data directory is empty")
                .contains("Restore the data directory");
    }

    @Test
    void synchronousNamesAreQuotedAndParsedBack() {
        assertThat(SynchronousNames.render(List.of("a-1", "b"), false, 1)).isEqualTo("ANY 1 (\"a-1\",\"b\")");
        assertThat(SynchronousNames.render(List.of(), false, 1)).isEmpty();
        assertThat(SynchronousNames.render(List.of(), true, 1)).isEqualTo("ANY 1 (\"pgha_no_sync_standby\")");
        assertThat(SynchronousNames.parse("ANY 1 (\"a-1\",\"b\")")).containsExactly("a-1", "b");
        assertThat(SynchronousNames.parse(SynchronousNames.render(List.of(), true, 1)))
                .isEmpty();
        assertThat(SynchronousNames.parse("")).isEmpty();
    }

    /** Each row: the names, strict, cluster.synchronousStandbys, the setting. */
    @ParameterizedTest
    @CsvSource(delimiter = '|', textBlock = """
            a,b,c | false | 2 | ANY 2 ("a","b","c")
            a,b   | false | 2 | ANY 2 ("a","b")
            a     | false | 2 | ANY 1 ("a")
            a     | true  | 2 | ANY 2 ("a","pgha_no_sync_standby")
            -     | true  | 3 | ANY 3 ("pgha_no_sync_standby","pgha_no_sync_standby_2","pgha_no_sync_standby_3")
            -     | false | 2 | -
            """)
    void aCommitWaitsForTheConfiguredNumberOfStandbysOrForThoseThereAreUnlessStrict(
            String names, boolean strict, int standbys, String setting) {
        List<String> members = names.equals("-") ? List.of() : List.of(names.split(","));
        String rendered = SynchronousNames.render(members, strict, standbys);
        assertThat(rendered).isEqualTo(setting.equals("-") ? "" : setting);
        assertThat(SynchronousNames.parse(rendered)).isEqualTo(members); // the placeholders are nobody
    }

    @Test
    void slotNamesAreValidAndDistinct() {
        assertThat(Upstream.slotName("node-2")).isEqualTo("pgha_node_2");
        assertThat(Upstream.slotName("a".repeat(40)))
                .hasSizeLessThanOrEqualTo(63)
                .matches("[a-z0-9_]+");
    }

    /**
     * A switchover: the leader handing over shuts down cleanly instead of being fenced, and once the target leads
     * it follows without a rewind, as long as its data did stop cleanly; any other former primary is rewound.
     */
    @ParameterizedTest(name = "leader={0} {1} cause={2} former={3}, running={4} {5} clean={6} -> {7}")
    @CsvSource({
        // the leader handing over demotes; a primary fenced for another reason is fenced
        "-, SWITCHOVER,         SWITCHOVER, me, true,  PRIMARY, false, DEMOTE",
        "-, FAILOVER_FENCING,   FAILOVER,   me, true,  PRIMARY, false, FENCE",
        "-, SWITCHOVER,         SWITCHOVER, b,  true,  PRIMARY, false, FENCE",
        // the target is being promoted: wait for it
        "b, FAILOVER_PROMOTING, SWITCHOVER, me, false, NONE,    true,  WAIT",
        // it leads: the cleanly stopped former leader follows it at once
        "b, NORMAL,             SWITCHOVER, me, false, NONE,    true,  START",
        // not stopped cleanly (killed during the shutdown), or not a handover: rewind
        "b, NORMAL,             SWITCHOVER, me, false, NONE,    false, REWIND",
        "b, NORMAL,             FAILOVER,   me, false, NONE,    true,  REWIND",
        "b, NORMAL,             SWITCHOVER, c,  false, NONE,    true,  REWIND",
    })
    void aSwitchoverDemotesCleanlyAndRejoinsWithoutARewind(
            String leader,
            Phase phase,
            Cause cause,
            String former,
            boolean running,
            Role role,
            boolean clean,
            KeeperAction.Kind expected) {
        KeeperAction action = KeeperPlanner.decide(
                "me",
                view(9, leader, phase, cause, former),
                new KeeperPlanner.Local(true, running, role, false, null, false, clean));
        assertThat(action.kind()).isEqualTo(expected);
    }

    /** What postgres reports: "down", "primary", "standby" (WAL still arriving) or "settled" (a detached standby). */
    private static PgClient.PgState postgres(String kind, long receivedLsn) {
        return switch (kind) {
            case "down" -> null;
            case "primary" -> new PgClient.PgState(false, receivedLsn, 0, 0, 1, false, "", List.of(), false, false, 0);
            default ->
                new PgClient.PgState(
                        true, 0, receivedLsn, receivedLsn, 1, true, "", List.of(), false, kind.equals("settled"), 0);
        };
    }

    /**
     * Each row: the action the tick decided; the view's phase; what postgres reports and where its received WAL ends;
     * its upstream ("-" none); whether "me" is the target of an accepted switchover whose former leader "old" stopped
     * with its WAL ending at 1000; when the keeper looks again.
     */
    @ParameterizedTest(name = "{0} in {1}, postgres {2} at {3}, upstream {4}, target {5} -> {6}")
    @CsvSource({
        // a standby configuration just changed: converge further at once
        "FOLLOW, NORMAL,             standby, 900,  leader, false, NOW",
        "FOLLOW, NORMAL,             down,    0,    -,      false, NOW",
        // converged: the heartbeat
        "NONE,   NORMAL,             primary, 900,  -,      false, HEARTBEAT",
        "NONE,   NORMAL,             standby, 900,  leader, false, HEARTBEAT",
        // a failover's fencing waits for each detached standby's final WAL position: report it once postgres settles
        "DETACH, FAILOVER_FENCING,   standby, 900,  -,      false, SOON",
        "WAIT,   FAILOVER_FENCING,   standby, 900,  -,      false, SOON",
        "WAIT,   FAILOVER_FENCING,   settled, 900,  -,      false, HEARTBEAT",
        "WAIT,   FAILOVER_FENCING,   standby, 900,  leader, false, HEARTBEAT",
        "WAIT,   FAILOVER_FENCING,   down,    0,    -,      false, HEARTBEAT",
        "WAIT,   FAILOVER_PROMOTING, standby, 900,  -,      false, HEARTBEAT",
        // a switchover's target reports until it has received all of the former leader's WAL
        "WAIT,   SWITCHOVER,         standby, 900,  leader, true,  SOON",
        "WAIT,   SWITCHOVER,         standby, 1001, leader, true,  HEARTBEAT",
        "WAIT,   SWITCHOVER,         standby, 900,  leader, false, HEARTBEAT",
        "FENCE,  SWITCHOVER,         primary, 900,  -,      true,  HEARTBEAT",
    })
    void theKeeperLooksAgainAtOnceOrWithinMillisecondsOnlyWhenSomethingWaitsForIt(
            KeeperAction.Kind action,
            Phase phase,
            String pg,
            long received,
            String upstream,
            boolean target,
            KeeperPlanner.NextLook expected) {
        OperatorRequest request = target
                ? new OperatorRequest(
                        "r1",
                        OperatorRequest.Kind.SWITCHOVER,
                        "me",
                        OperatorRequest.State.ACCEPTED,
                        "",
                        0,
                        Instant.EPOCH)
                : null;
        KeeperStatus former = Statuses.down("old", "stopped").walEndsAt(1000).build();
        assertThat(KeeperPlanner.nextLook(
                        "me",
                        action,
                        view(9, "-", phase, Cause.SWITCHOVER, "old"),
                        postgres(pg, received),
                        upstream.equals("-") ? null : upstream,
                        request,
                        former))
                .isEqualTo(expected);
    }

    /** Each row: the action the tick decided; what postgres reports; whether it has converged (its status: healthy). */
    @ParameterizedTest(name = "{0}, postgres {1} -> {2}")
    @CsvSource({
        "NONE,    primary, true",
        "NONE,    standby, true",
        "NONE,    down,    false",
        // a standby waiting out a failover is what the sentinel may promote
        "WAIT,    standby, true",
        "DETACH,  settled, true",
        "WAIT,    primary, false",
        "WAIT,    down,    false",
        // anything still to do has not converged
        "FOLLOW,  standby, false",
        "PROMOTE, standby, false",
        "START,   down,    false",
        "FENCE,   primary, false",
    })
    void postgresHasConvergedWhenItAnswersInTheRoleTheTickLeftItIn(
            KeeperAction.Kind action, String pg, boolean expected) {
        assertThat(KeeperPlanner.converged(action, postgres(pg, 900))).isEqualTo(expected);
    }
}
