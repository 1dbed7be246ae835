package dev.pgha.sentinel;

import dev.pgha.common.config.Durations;
import dev.pgha.common.health.Formats;
import dev.pgha.common.model.Cause;
import dev.pgha.common.model.ClusterSpec;
import dev.pgha.common.model.ClusterView;
import dev.pgha.common.model.KeeperStatus;
import dev.pgha.common.model.OperatorRequest;
import dev.pgha.common.model.Phase;
import dev.pgha.common.model.Role;
import dev.pgha.common.store.ClusterSnapshot;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * NORMAL, FAILOVER_FENCING and FAILOVER_PROMOTING: watching the leader and keeping the synchronous set, then
 * replacing a lost leader fencing first. The lost leader is replaced by nobody (FAILOVER_FENCING) until every live
 * proxy has acknowledged that generation, i.e. closed its client connections; only then is a candidate chosen
 * (FAILOVER_PROMOTING), and proxies route to it once it reports itself primary (NORMAL). With synchronous
 * replication only a member of {@code syncStandbys} is a candidate, and only one holding at least as much WAL as
 * every other member of that set: each acknowledged commit is on at least one of them. Positions are compared only
 * once every standby taking part reports them final for the failover's generation: its keeper saw the leaderless view,
 * stopped its WAL receiver and finished replaying, so no status written earlier can hide WAL it holds.
 */
final class FailoverRules {
    private FailoverRules() {}

    // ---- normal operation: watch the leader, keep the synchronous set ----------------------------------------

    static ClusterView normal(ClusterSnapshot s, OperatorRequest accepted, Liveness liveness, Instant now) {
        ClusterView view = s.view();
        Map<String, KeeperStatus> keepers = s.keepers();
        ClusterSpec spec = s.spec();
        String leaderId = view.leader();
        KeeperStatus leader = keepers.get(leaderId);
        if (leader == null) {
            if (!liveness.missingIsLost(leaderId, spec.failTimeout())) {
                // Every session was replaced with this sentinel's own: the leader's status may not be back yet.
                return ViewPlanner.reason(
                        view,
                        view.cause(),
                        "the cluster store is back after an outage; waiting up to "
                                + Durations.format(spec.failTimeout()) + " (cluster.failTimeout) for leader "
                                + leaderId + " to report again");
            }
            return startFailover(view, "leader " + leaderId + " was lost (its store session ended)", now);
        }
        if (liveness.silentFor(leaderId).compareTo(spec.failTimeout()) > 0) {
            // Its session lives but its keeper stopped reporting: stuck on a hung postgres, say.
            return failOverUnlessPaused(
                    view,
                    spec,
                    "leader " + leaderId + " has not reported its status for more than "
                            + Durations.format(spec.failTimeout()) + " (cluster.failTimeout)",
                    now);
        }
        if (!leader.healthy() && liveness.unhealthyFor(leaderId).compareTo(spec.failTimeout()) >= 0) {
            return failOverUnlessPaused(
                    view,
                    spec,
                    "leader " + leaderId + " has been unhealthy for more than " + Durations.format(spec.failTimeout())
                            + " (cluster.failTimeout): " + leader.problem(),
                    now);
        }
        Optional<ClusterView> switchover = RequestRules.startSwitchover(view, accepted, now);
        if (switchover.isPresent()) {
            return switchover.get();
        }
        return synchronousSet(view, leader, keepers, s.members().keySet(), spec, now);
    }

    /**
     * Standbys caught up with the leader (its own pg_stat_replication says 'streaming'), healthy and allowed to lead
     * enter both sets in one generation; one that falls behind leaves syncRequested first, and syncStandbys only
     * once the leader reports that its postgres no longer waits for it. The empty set is the exception, since the
     * leader acknowledges alone then: when nobody is requested (and writes need not wait), the leader keeps waiting
     * for syncStandbys until it has applied that generation, then syncStandbys empties (view first); from empty it
     * grows only once the leader confirms that a standby it waits for has everything.
     */
    private static ClusterView synchronousSet(
            ClusterView view,
            KeeperStatus leader,
            Map<String, KeeperStatus> keepers,
            Set<String> members,
            ClusterSpec spec,
            Instant now) {
        String leaderId = view.leader();
        List<String> standbys = keepers.values().stream()
                .filter(k -> !k.memberId().equals(leaderId) && k.pgUp() && k.role() == Role.STANDBY)
                .map(KeeperStatus::memberId)
                .sorted()
                .toList();
        boolean synchronous = spec.synchronous(members.size());
        Set<String> requested = new TreeSet<>();
        if (synchronous) {
            for (String id : leader.streaming()) {
                KeeperStatus k = keepers.get(id);
                if (k != null
                        && k.healthy()
                        && k.role() == Role.STANDBY
                        && leaderId.equals(k.following())
                        && ViewPlanner.inPrimaryRegion(k, spec)
                        && !k.tags().noSync()
                        && !k.tags().noFailover()) { // the set is what a failover promotes from
                    requested.add(id);
                }
            }
        }
        boolean leaderApplied = leader.appliedGeneration() >= view.generation();
        Set<String> sync = new TreeSet<>(view.syncStandbys());
        if (!sync.isEmpty()) {
            sync.addAll(requested); // grows in the view first; the leader's postgres follows
        } else if (leaderApplied && leader.synchronousConfirmed()) {
            // The leader may have acknowledged commits alone: its standbys become promotable only once it reports
            // that one it waits for has flushed past them (then the one with the most WAL has them all).
            sync.addAll(leader.synchronousNames());
            sync.addAll(requested);
        }
        for (String id : view.syncStandbys()) {
            boolean leaving = !requested.contains(id) && !view.syncRequested().contains(id);
            if (leaving && leaderApplied && !leader.synchronousNames().contains(id)) {
                sync.remove(id); // the leader's postgres no longer waits for it: it leaves the view last
            }
        }
        if (requested.isEmpty()
                && view.syncRequested().isEmpty()
                && leaderApplied
                && !spec.synchronousStrict()
                && leader.pgUp()
                && leader.role() == Role.PRIMARY
                && !leader.stopping()) {
            // Nobody is requested and the leader runs this generation, still waiting for syncStandbys: empty it now,
            // view first. The leader acknowledges alone only once it applies the next generation, when nobody is
            // promotable any more. (A leader that died meanwhile never applied it: its synchronous standbys, which
            // hold everything it acknowledged, stay promotable.) A leader that is stopping keeps its set: going on
            // alone
            // gains nothing, and once it is gone an empty set would leave its standbys, which hold all it
            // acknowledged, unpromotable (a whole cluster stopped at once would come back leaderless without it).
            sync.clear();
        }
        List<String> newSync = List.copyOf(sync);
        List<String> newRequested = List.copyOf(requested);
        String reason = syncReason(leaderId, newSync, newRequested, synchronous, spec);
        if (!newSync.equals(view.syncStandbys()) || !newRequested.equals(view.syncRequested())) {
            return view.withStandbys(standbys)
                    .withSync(newSync, newRequested)
                    .advance(leaderId, view.phase(), view.cause(), reason, now);
        }
        ClusterView next = standbys.equals(view.standbys()) ? view : view.withStandbys(standbys);
        return ViewPlanner.reason(next, view.cause(), reason);
    }

    private static String syncReason(
            String leader, List<String> sync, List<String> requested, boolean synchronous, ClusterSpec spec) {
        String base = "member " + leader + " leads";
        if (!synchronous) {
            return base;
        }
        List<String> waitedFor = sync.stream().filter(requested::contains).toList();
        if (!waitedFor.isEmpty()) {
            return base + "; synchronous standbys: " + String.join(", ", waitedFor);
        }
        if (sync.isEmpty() && !requested.isEmpty()) {
            return base + "; " + String.join(", ", requested) + " catching up with what the leader acknowledged alone:"
                    + " automatic failover is off until the leader confirms one has it all";
        }
        return base + "; no synchronous standby is in sync: "
                + (spec.synchronousStrict()
                        ? "writes wait until one catches up (cluster.synchronousStrict)"
                        : "the leader serves alone and automatic failover is off until one catches up");
    }

    /**
     * A leader that still holds its store session but cannot serve: paused, it keeps the lead (an operator may be
     * working on it); otherwise the cluster fails over. (One whose session ended fails over even when paused: it has
     * fenced itself, so the cluster is leaderless either way.)
     */
    private static ClusterView failOverUnlessPaused(ClusterView view, ClusterSpec spec, String reason, Instant now) {
        if (spec.paused()) {
            return ViewPlanner.reason(view, view.cause(), PauseRules.heldBack(spec.pause(), reason));
        }
        return startFailover(view, reason, now);
    }

    private static ClusterView startFailover(ClusterView view, String reason, Instant now) {
        return view.withSync(view.syncStandbys(), List.of())
                .advance(null, Phase.FAILOVER_FENCING, Cause.FAILOVER, "failover: " + reason + "; fencing", now)
                .withFormerLeader(view.leader());
    }

    /**
     * A leaderless view that cannot complete as it is (an abandoned switchover) goes on as a failover, so that the
     * standbys stop receiving WAL and report final positions before one is chosen.
     */
    static ClusterView failOver(ClusterView view, String reason, Instant now) {
        return view.withSync(view.syncStandbys(), List.of())
                .advance(null, Phase.FAILOVER_FENCING, Cause.FAILOVER, reason + "failing over; fencing", now);
    }

    // ---- failover -------------------------------------------------------------------------------------------

    static ClusterView fencing(ClusterSnapshot s, OperatorRequest accepted, Liveness liveness, Instant now) {
        ClusterView view = s.view();
        List<String> unfenced = ViewPlanner.unfenced(view, s.proxies());
        if (!unfenced.isEmpty()) {
            return ViewPlanner.reason(
                    view,
                    view.cause(),
                    "failover: waiting for the proxies of " + String.join(", ", unfenced)
                            + " to close their client connections");
        }
        Optional<ClusterView> forced = RequestRules.forcedFailover(view, s.keepers(), accepted, now);
        if (forced.isPresent()) {
            return forced.get();
        }
        if (s.spec().paused()) {
            return ViewPlanner.reason(
                    view,
                    Cause.NO_CANDIDATE,
                    PauseRules.heldBack(
                            s.spec().pause(),
                            "the cluster has no leader since " + ViewPlanner.formerName(view)
                                    + " lost it, and none is chosen"));
        }
        return chooseCandidate(s, liveness, now);
    }

    /** Promotes the best candidate, or stays leaderless saying why. */
    private static ClusterView chooseCandidate(ClusterSnapshot s, Liveness liveness, Instant now) {
        ClusterView view = s.view();
        Candidate c = candidate(view, s.keepers(), s.members().keySet(), s.spec(), liveness);
        if (c.member() == null) {
            return ViewPlanner.reason(view, Cause.NO_CANDIDATE, c.why());
        }
        return view.advance(
                c.member(),
                Phase.FAILOVER_PROMOTING,
                Cause.FAILOVER,
                "failover: promoting " + c.member() + " (" + c.why() + ")",
                now);
    }

    private record Candidate(String member, String why) {}

    private static Candidate candidate(
            ClusterView view,
            Map<String, KeeperStatus> keepers,
            Set<String> members,
            ClusterSpec spec,
            Liveness liveness) {
        String former = view.formerLeader() == null ? "the leader" : "leader " + view.formerLeader();
        List<KeeperStatus> eligible = keepers.values().stream()
                .filter(k -> k.role() == Role.STANDBY
                        && k.pgUp()
                        && k.healthy()
                        && ViewPlanner.inPrimaryRegion(k, spec)
                        && !k.tags().noFailover())
                .toList();
        // Positions are compared only once they are final for this failover: a standby still receiving WAL, or a
        // status written before it knew of this generation (a new store session republishes the last one), may
        // understate what it holds, and an acknowledged commit may be on it alone.
        List<String> unsettled = eligible.stream()
                .filter(k -> !k.walFinalSince(view.generation()))
                .map(KeeperStatus::memberId)
                .sorted()
                .toList();
        String refusal;
        if (eligible.isEmpty()) {
            refusal = noHealthyStandby(keepers, spec);
        } else if (spec.synchronous(members.size())) {
            List<String> sync = view.syncStandbys();
            List<String> silent = sync.stream()
                    .filter(id -> keepers.get(id) == null || !keepers.get(id).pgUp())
                    .toList();
            List<String> syncUnsettled =
                    sync.stream().filter(unsettled::contains).toList();
            long mostWal = sync.stream()
                    .map(keepers::get)
                    .filter(Objects::nonNull)
                    .mapToLong(KeeperStatus::lsn)
                    .max()
                    .orElse(0);
            Optional<KeeperStatus> best = eligible.stream()
                    .filter(k -> sync.contains(k.memberId()) && k.lsn() >= mostWal)
                    .min(ViewPlanner.MOST_WAL);
            if (sync.isEmpty()) {
                refusal = "no synchronous standby was in sync when " + former + " was lost, so any other member may "
                        + "miss acknowledged writes; automatic failover refused until " + ViewPlanner.formerName(view)
                        + " returns";
            } else if (!silent.isEmpty()) {
                refusal = "synchronous standby " + String.join(", ", silent) + " is not reporting, and it may hold "
                        + "acknowledged writes the others lack; waiting for it (or for " + ViewPlanner.formerName(view)
                        + ")";
            } else if (!syncUnsettled.isEmpty()) {
                return new Candidate(null, unsettledReason(syncUnsettled, former));
            } else if (best.isEmpty()) {
                refusal = "no synchronous standby (" + String.join(", ", sync) + ") is healthy, in the primary region "
                        + "and holds all the WAL the others have";
            } else {
                return new Candidate(best.get().memberId(), "synchronous standby with the most WAL");
            }
        } else if (!unsettled.isEmpty()) {
            return new Candidate(null, unsettledReason(unsettled, former));
        } else {
            Optional<KeeperStatus> best = eligible.stream().min(ViewPlanner.MOST_WAL);
            long lacking = best.map(k -> formerLeaderWalEnd(view, keepers, liveness) - k.lsn())
                    .orElse(0L);
            if (best.isEmpty()) {
                refusal = noHealthyStandby(keepers, spec);
            } else if (spec.maximumLagOnFailover() > 0 && lacking > spec.maximumLagOnFailover()) {
                refusal = best.get().memberId() + ", the standby with the most WAL, lacks " + Formats.bytes(lacking)
                        + " of what " + former + " was last known to have, more than cluster.maximumLagOnFailover ("
                        + Formats.bytes(spec.maximumLagOnFailover())
                        + "): promoting it could lose acknowledged writes;"
                        + " waiting for " + ViewPlanner.formerName(view) + " to return (`pgha failover --to "
                        + best.get().memberId() + "` accepts the loss)";
            } else {
                return new Candidate(best.get().memberId(), "healthy standby with the most WAL");
            }
        }
        KeeperStatus returned = view.formerLeader() == null ? null : keepers.get(view.formerLeader());
        if (returned != null
                && returned.initialized()
                && returned.role() != Role.STANDBY
                && ViewPlanner.inPrimaryRegion(returned, spec)) {
            return new Candidate(returned.memberId(), "the former leader is back and nobody else was promoted");
        }
        return new Candidate(null, refusal);
    }

    /**
     * The furthest WAL position the lost leader is known to have had: what this sentinel saw it report, what it still
     * reports (a leader that is up but failed), and what the standbys heard from its WAL sender; 0 when nobody knows.
     */
    private static long formerLeaderWalEnd(ClusterView view, Map<String, KeeperStatus> keepers, Liveness liveness) {
        String former = view.formerLeader();
        long known = former == null ? 0 : liveness.primaryWalEnd(former);
        KeeperStatus reporting = former == null ? null : keepers.get(former);
        if (reporting != null && reporting.role() == Role.PRIMARY) {
            known = Math.max(known, reporting.writtenLsn());
        }
        for (KeeperStatus k : keepers.values()) {
            known = Math.max(known, k.leaderWalEnd());
        }
        return known;
    }

    /**
     * A moment's wait (a keeper stops its WAL receiver within a heartbeat), so it does not fall back on the former
     * leader: a leader whose postgres just died would otherwise be restarted in place of a failover.
     */
    private static String unsettledReason(List<String> unsettled, String former) {
        return "waiting for " + String.join(", ", unsettled) + " to stop receiving WAL from " + former
                + " and report final WAL positions, so that the member with the most WAL is chosen";
    }

    private static String noHealthyStandby(Map<String, KeeperStatus> keepers, ClusterSpec spec) {
        List<String> notes = new ArrayList<>();
        for (KeeperStatus k : keepers.values()) {
            if (!ViewPlanner.inPrimaryRegion(k, spec)) {
                notes.add(k.memberId() + " is outside primary region " + spec.primaryRegion());
            } else if (k.tags().noFailover()) {
                notes.add(k.memberId() + " has tag nofailover");
            } else if (k.role() != Role.STANDBY || !k.pgUp()) {
                notes.add(k.memberId() + " is not a running standby");
            } else if (!k.healthy()) {
                notes.add(k.memberId() + " is unhealthy (" + k.problem() + ")");
            }
        }
        return "no healthy standby to promote" + (notes.isEmpty() ? "" : ": " + String.join("; ", notes));
    }

    // ---- promotion ------------------------------------------------------------------------------------------

    static ClusterView promoting(ClusterView view, Map<String, KeeperStatus> keepers, Instant now) {
        KeeperStatus candidate = keepers.get(view.leader());
        if (candidate == null) {
            return view.advance(
                    null,
                    Phase.FAILOVER_FENCING,
                    Cause.FAILOVER,
                    "failover: candidate " + view.leader() + " was lost while being promoted; choosing again",
                    now);
        }
        if (!ViewPlanner.isServingPrimary(candidate, view)) {
            return view;
        }
        String reason;
        if (view.cause() == Cause.SWITCHOVER) {
            reason = "member " + view.leader() + " leads (switchover from " + view.formerLeader() + ")";
        } else if (view.leader().equals(view.formerLeader())) {
            reason = "member " + view.leader() + " leads again (it came back before anyone else was promoted)";
        } else {
            reason = "member " + view.leader() + " leads (promoted after "
                    + (view.formerLeader() == null ? "the leader" : view.formerLeader()) + " was lost)";
        }
        // The former leader stays named: after a switchover it follows the new leader without a rewind.
        return view.withSync(List.of(), List.of()).advance(view.leader(), Phase.NORMAL, view.cause(), reason, now);
    }
}
