package dev.pgha.sentinel;

import dev.pgha.common.config.Durations;
import dev.pgha.common.model.Cause;
import dev.pgha.common.model.ClusterSpec;
import dev.pgha.common.model.ClusterView;
import dev.pgha.common.model.KeeperStatus;
import dev.pgha.common.model.Lsn;
import dev.pgha.common.model.OperatorRequest;
import dev.pgha.common.model.Phase;
import dev.pgha.common.model.Role;
import dev.pgha.common.request.RequestTimeouts;
import dev.pgha.common.store.ClusterSnapshot;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * Operators' requests: whether a pending one can be carried out ({@link #check}), the start of a planned switchover,
 * its SWITCHOVER phase, and a forced failover of a cluster that stays leaderless.
 */
public final class RequestRules {
    private RequestRules() {}

    /** Whether an operator's request can be carried out now, and with which member. */
    public record Verdict(String target, String refusal) {
        static Verdict refuse(String why) {
            return new Verdict(null, why);
        }
    }

    /**
     * Checks a pending request against the cluster as it is: a switchover needs a healthy leader and a healthy
     * standby streaming from it (the target, or the best one: synchronous first, then the most WAL); a forced
     * failover needs a leaderless cluster and a running standby to promote.
     */
    public static Verdict check(OperatorRequest request, ClusterSnapshot s) {
        ClusterView view = s.view();
        Map<String, KeeperStatus> keepers = s.keepers();
        Set<String> members = s.members().keySet();
        ClusterSpec spec = s.spec();
        String target = request.target();
        if (target != null && !members.contains(target)) {
            return Verdict.refuse(
                    "there is no member " + target + "; members: " + String.join(", ", new TreeSet<>(members)));
        }
        if (request.kind() == OperatorRequest.Kind.FAILOVER) {
            if (view.phase() != Phase.FAILOVER_FENCING || view.leader() != null) {
                return Verdict.refuse(
                        "the cluster is not leaderless (leader " + (view.leader() == null ? "none" : view.leader())
                                + ", phase " + view.phase() + "); a forced failover is only for a cluster "
                                + "that cannot choose a leader itself; use pgha switchover --to " + target);
            }
            KeeperStatus k = keepers.get(target);
            if (k != null && k.tags().noFailover()) {
                return Verdict.refuse(target + " has tag nofailover: it is never promoted");
            }
            if (k == null || !k.pgUp() || k.role() != Role.STANDBY || !k.initialized()) {
                return Verdict.refuse(target + " is not a running standby, so it cannot be promoted"
                        + (k != null && k.problem() != null ? " (" + k.problem() + ")" : ""));
            }
            if (!ViewPlanner.inPrimaryRegion(k, spec)) {
                return Verdict.refuse(target + " is outside primary region " + spec.primaryRegion());
            }
            return new Verdict(target, null);
        }
        String leaderId = view.leader();
        if (view.phase() != Phase.NORMAL || leaderId == null) {
            return Verdict.refuse("the cluster has no serving leader right now (phase " + view.phase()
                    + (view.reason() == null ? "" : ": " + view.explanation()) + "); if it stays leaderless, use "
                    + "pgha failover --to MEMBER --force");
        }
        KeeperStatus leader = keepers.get(leaderId);
        if (leader == null || !leader.healthy() || leader.role() != Role.PRIMARY) {
            return Verdict.refuse("leader " + leaderId + " is not a healthy primary"
                    + (leader != null && leader.problem() != null ? " (" + leader.problem() + ")" : "")
                    + "; a clean switchover needs one");
        }
        if (leaderId.equals(target)) {
            return Verdict.refuse(target + " already leads the cluster");
        }
        List<KeeperStatus> eligible = new ArrayList<>();
        List<String> notes = new ArrayList<>();
        for (KeeperStatus k : keepers.values()) {
            if (k.memberId().equals(leaderId) || target != null && !k.memberId().equals(target)) {
                continue;
            }
            String why = ineligible(k, leader, spec);
            if (why == null) {
                eligible.add(k);
            } else {
                notes.add(why);
            }
        }
        if (target != null && !keepers.containsKey(target)) {
            return Verdict.refuse(target + " is not running (its keeper does not report)");
        }
        List<String> sync = view.synchronousNames();
        Optional<KeeperStatus> best = eligible.stream()
                .min(Comparator.comparing((KeeperStatus k) -> !sync.contains(k.memberId()))
                        .thenComparing(ViewPlanner.MOST_WAL));
        if (best.isEmpty()) {
            return Verdict.refuse(notes.isEmpty() ? "there is no standby to switch over to" : String.join("; ", notes));
        }
        return new Verdict(best.get().memberId(), null);
    }

    /** Why {@code k} cannot take over from {@code leader} in a switchover, or null when it can. */
    private static String ineligible(KeeperStatus k, KeeperStatus leader, ClusterSpec spec) {
        String id = k.memberId();
        if (!ViewPlanner.inPrimaryRegion(k, spec)) {
            return id + " is outside primary region " + spec.primaryRegion();
        }
        if (k.tags().noFailover()) {
            return id + " has tag nofailover: it is never promoted";
        }
        if (!k.pgUp() || k.role() != Role.STANDBY) {
            return id + " is not a running standby";
        }
        if (!k.healthy()) {
            return id + " is unhealthy (" + k.problem() + ")";
        }
        if (!leader.memberId().equals(k.following()) || !leader.streaming().contains(id)) {
            return id + " is not caught up with leader " + leader.memberId() + " (it is not streaming from it yet)";
        }
        return null;
    }

    /**
     * An accepted switchover of a NORMAL cluster starts: proxies close their connections and the leader shuts down
     * cleanly, then the target, having received every byte of the leader's WAL, is promoted.
     */
    static Optional<ClusterView> startSwitchover(ClusterView view, OperatorRequest accepted, Instant now) {
        if (accepted == null
                || accepted.kind() != OperatorRequest.Kind.SWITCHOVER
                || accepted.generation() != view.generation()
                || view.leader().equals(accepted.target())) {
            return Optional.empty();
        }
        return Optional.of(view.withSync(view.syncStandbys(), List.of())
                .advance(
                        null,
                        Phase.SWITCHOVER,
                        Cause.SWITCHOVER,
                        "switchover: stopping leader " + view.leader() + " cleanly before promoting "
                                + accepted.target(),
                        now)
                .withFormerLeader(view.leader()));
    }

    /**
     * SWITCHOVER: nobody leads; proxies hold clients; the former leader shuts down cleanly (a fast shutdown sends all
     * of its WAL to the connected standbys) and reports where its WAL ends. Once the target has received all of it,
     * the target is promoted. If the former leader dies, the target goes away or this takes longer than
     * {@link RequestTimeouts#SWITCHOVER}, the failover rules decide instead (the former leader may lead again).
     */
    static ClusterView switchover(ClusterSnapshot s, OperatorRequest accepted, Liveness liveness, Instant now) {
        ClusterView view = s.view();
        Map<String, KeeperStatus> keepers = s.keepers();
        String former = view.formerLeader();
        String target =
                accepted == null || accepted.kind() != OperatorRequest.Kind.SWITCHOVER ? null : accepted.target();
        KeeperStatus old = former == null ? null : keepers.get(former);
        KeeperStatus next = target == null ? null : keepers.get(target);
        String abandon = null;
        if (target == null) {
            abandon = "the request is gone";
        } else if (old == null) {
            abandon = "leader " + former + " was lost";
        } else if (next == null || !next.pgUp() || next.role() != Role.STANDBY) {
            abandon = target + " is no longer a running standby";
        } else if (liveness.generationAge().compareTo(RequestTimeouts.SWITCHOVER) > 0) {
            abandon = "it did not complete within " + Durations.format(RequestTimeouts.SWITCHOVER);
        }
        if (abandon != null) {
            return abandoned(s, old, abandon, now);
        }
        List<String> unfenced = ViewPlanner.unfenced(view, s.proxies());
        if (!unfenced.isEmpty()) {
            return ViewPlanner.reason(
                    view,
                    Cause.SWITCHOVER,
                    "switchover: waiting for the proxies of " + String.join(", ", unfenced)
                            + " to close their client connections");
        }
        if (old.pgUp()) {
            return ViewPlanner.reason(
                    view, Cause.SWITCHOVER, "switchover: waiting for leader " + former + " to shut down cleanly");
        }
        if (old.writtenLsn() == 0) {
            return ViewPlanner.reason(
                    view, Cause.SWITCHOVER, "switchover: waiting for " + former + " to report where its WAL ends");
        }
        if (next.receivedLsn() <= old.writtenLsn()) {
            return ViewPlanner.reason(
                    view,
                    Cause.SWITCHOVER,
                    "switchover: waiting for " + target + " to receive the last WAL of " + former + " (it has "
                            + Lsn.format(next.receivedLsn()) + ", " + former + " ended at "
                            + Lsn.format(old.writtenLsn()) + ")");
        }
        return view.advance(
                target,
                Phase.FAILOVER_PROMOTING,
                Cause.SWITCHOVER,
                "switchover: promoting " + target + " (it has received all of " + former + "'s WAL)",
                now);
    }

    /**
     * A switchover that cannot complete: once the proxies are fenced, a standby that received all of a cleanly
     * stopped former leader's WAL still takes over as in a switchover; otherwise it goes on as a failover.
     */
    private static ClusterView abandoned(ClusterSnapshot s, KeeperStatus old, String abandon, Instant now) {
        ClusterView view = s.view();
        List<String> unfenced = ViewPlanner.unfenced(view, s.proxies());
        if (!unfenced.isEmpty()) {
            return ViewPlanner.reason(
                    view,
                    view.cause(),
                    "switchover abandoned (" + abandon + "): waiting for the proxies of " + String.join(", ", unfenced)
                            + " to close their client connections");
        }
        String prefix = "switchover abandoned (" + abandon + "); ";
        if (old != null && !old.pgUp() && old.writtenLsn() > 0) {
            // The former leader stopped cleanly: a standby that received all of its WAL holds every commit.
            Optional<KeeperStatus> complete = s.keepers().values().stream()
                    .filter(k -> k.role() == Role.STANDBY
                            && k.pgUp()
                            && k.healthy()
                            && ViewPlanner.inPrimaryRegion(k, s.spec())
                            && k.receivedLsn() > old.writtenLsn())
                    .min(ViewPlanner.MOST_WAL);
            if (complete.isPresent()) {
                return view.advance(
                        complete.get().memberId(),
                        Phase.FAILOVER_PROMOTING,
                        Cause.SWITCHOVER,
                        prefix + "promoting " + complete.get().memberId() + " (it has received all of "
                                + view.formerLeader() + "'s WAL)",
                        now);
            }
        }
        return FailoverRules.failOver(view, prefix, now);
    }

    /** An accepted forced failover of a fenced, leaderless cluster promotes its target if it runs as a standby. */
    static Optional<ClusterView> forcedFailover(
            ClusterView view, Map<String, KeeperStatus> keepers, OperatorRequest accepted, Instant now) {
        if (accepted == null
                || accepted.kind() != OperatorRequest.Kind.FAILOVER
                || accepted.generation() != view.generation()) {
            return Optional.empty();
        }
        KeeperStatus forced = keepers.get(accepted.target());
        if (forced == null || !forced.pgUp() || forced.role() != Role.STANDBY) {
            return Optional.empty();
        }
        return Optional.of(view.advance(
                forced.memberId(),
                Phase.FAILOVER_PROMOTING,
                Cause.OPERATOR,
                "forced failover (pgha failover --force): promoting " + forced.memberId() + "; writes only "
                        + ViewPlanner.formerName(view) + " acknowledged may be lost",
                now));
    }
}
