package dev.pgha.sentinel;

import dev.pgha.common.config.Durations;
import dev.pgha.common.model.ClusterSpec;
import dev.pgha.common.model.ClusterView;
import dev.pgha.common.model.KeeperStatus;
import dev.pgha.common.model.Lsn;
import dev.pgha.common.model.OperatorRequest;
import dev.pgha.common.model.Phase;
import dev.pgha.common.model.ProxyStatus;
import dev.pgha.common.model.Role;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * The sentinel's decision: the next cluster view as a pure function of the current view, the live keepers'
 * statuses, the proxies' acks, the registered members and the spec. No I/O, so every rule is tested by tables.
 *
 * <p>Bootstrap follows stolon: the sentinel designates one member (leader set, phase INITIALIZING); that member
 * creates the cluster (or starts its existing data) and, once it reports itself a running primary, the view turns
 * NORMAL. A member with data always wins over an empty one, so an existing cluster is never replaced.
 *
 * <p>Failover is fencing first: the lost leader is replaced by nobody (FAILOVER_FENCING) until every live proxy
 * has acknowledged that generation, i.e. closed its client connections; only then is a candidate chosen
 * (FAILOVER_PROMOTING), and proxies route to it once it reports itself primary (NORMAL). With synchronous
 * replication only a member of {@code syncStandbys} is a candidate, and only one holding at least as much WAL as
 * every other member of that set: each acknowledged commit is on at least one of them.
 */
public final class ViewPlanner {
    private ViewPlanner() {}

    /**
     * @param view     current view ({@link ClusterView#initial()} when none was written yet)
     * @param keepers  live keepers by member id (a keeper whose session ended is absent)
     * @param proxies  live proxies by member id
     * @param members  registered database members (witnesses are not members)
     * @param spec     cluster spec
     * @param now      the time written into a new generation, and the clock for failTimeout
     * @return the view to write; equal to {@code view} when nothing changes
     */
    public static ClusterView next(
            ClusterView view,
            Map<String, KeeperStatus> keepers,
            Map<String, ProxyStatus> proxies,
            Set<String> members,
            ClusterSpec spec,
            Instant now) {
        return next(view, keepers, proxies, members, spec, null, now);
    }

    /**
     * @param accepted an operator request the sentinel has accepted ({@link #check}), or null
     */
    public static ClusterView next(
            ClusterView view,
            Map<String, KeeperStatus> keepers,
            Map<String, ProxyStatus> proxies,
            Set<String> members,
            ClusterSpec spec,
            OperatorRequest accepted,
            Instant now) {
        return switch (view.phase()) {
            case INITIALIZING -> initializing(view, keepers, spec, now);
            case NORMAL -> normal(view, keepers, members, spec, accepted, now);
            case SWITCHOVER -> switchover(view, keepers, proxies, members, spec, accepted, now);
            case FAILOVER_FENCING -> fencing(view, keepers, proxies, members, spec, accepted, now);
            case FAILOVER_PROMOTING -> promoting(view, keepers, now);
        };
    }

    // ---- bootstrap ------------------------------------------------------------------------------------------

    private static ClusterView initializing(
            ClusterView view, Map<String, KeeperStatus> keepers, ClusterSpec spec, Instant now) {
        List<KeeperStatus> eligible =
                keepers.values().stream().filter(k -> inPrimaryRegion(k, spec)).toList();
        if (view.leader() != null) {
            KeeperStatus designated = keepers.get(view.leader());
            if (isServingPrimary(designated, view)) {
                return view.advance(view.leader(), Phase.NORMAL, "member " + view.leader() + " leads", now);
            }
            if (designated != null || eligible.isEmpty()) {
                return view; // still starting; or gone with nobody to take over
            }
        }
        if (eligible.isEmpty()) {
            return view.withReason(noCandidateInRegion(keepers, spec));
        }
        Optional<KeeperStatus> withData =
                eligible.stream().filter(KeeperStatus::initialized).min(BEST_DATA);
        if (withData.isPresent()) {
            String id = withData.get().memberId();
            return view.advance(
                    id, Phase.INITIALIZING, "member " + id + " has the cluster's data and starts as leader", now);
        }
        String id = eligible.stream()
                .map(KeeperStatus::memberId)
                .min(Comparator.naturalOrder())
                .orElseThrow();
        return view.advance(id, Phase.INITIALIZING, "member " + id + " creates the cluster", now);
    }

    /** Primary first, then the most WAL, then the oldest cluster (system id starts with the initdb time), then id. */
    static final Comparator<KeeperStatus> BEST_DATA = Comparator.comparing((KeeperStatus k) -> k.role() != Role.PRIMARY)
            .thenComparing(k -> -k.lsn())
            .thenComparing(k -> k.systemId() == 0 ? Long.MAX_VALUE : k.systemId() >>> 32)
            .thenComparing(KeeperStatus::memberId);

    // ---- normal operation: watch the leader, keep the synchronous set --------------------------------------

    private static ClusterView normal(
            ClusterView view,
            Map<String, KeeperStatus> keepers,
            Set<String> members,
            ClusterSpec spec,
            OperatorRequest accepted,
            Instant now) {
        String leaderId = view.leader();
        KeeperStatus leader = keepers.get(leaderId);
        if (leader == null) {
            return startFailover(view, "leader " + leaderId + " was lost (its store session ended)", now);
        }
        if (leader.updatedAt() != null && now.isAfter(leader.updatedAt().plus(spec.failTimeout()))) {
            // Its session lives but its keeper stopped reporting: stuck on a hung postgres, say.
            return startFailover(
                    view,
                    "leader " + leaderId + " has not reported its status for more than "
                            + Durations.format(spec.failTimeout()) + " (cluster.failTimeout)",
                    now);
        }
        if (!leader.healthy()
                && leader.unhealthySince() != null
                && !now.isBefore(leader.unhealthySince().plus(spec.failTimeout()))) {
            return startFailover(
                    view,
                    "leader " + leaderId + " has been unhealthy for more than " + Durations.format(spec.failTimeout())
                            + " (cluster.failTimeout): " + leader.problem(),
                    now);
        }
        if (accepted != null
                && accepted.kind() == OperatorRequest.Kind.SWITCHOVER
                && accepted.generation() == view.generation()
                && !leaderId.equals(accepted.target())) {
            // Planned: proxies close their connections and the leader shuts down cleanly, then the target,
            // having received every byte of the leader's WAL, is promoted.
            return view.withSync(view.syncStandbys(), List.of())
                    .advance(
                            null,
                            Phase.SWITCHOVER,
                            "switchover: stopping leader " + leaderId + " cleanly before promoting "
                                    + accepted.target(),
                            now)
                    .withFormerLeader(leaderId);
        }
        List<String> standbys = keepers.values().stream()
                .filter(k -> !k.memberId().equals(leaderId) && k.pgUp() && k.role() == Role.STANDBY)
                .map(KeeperStatus::memberId)
                .sorted()
                .toList();
        boolean synchronous = spec.synchronous(members.size());
        Set<String> requested = new TreeSet<>();
        if (synchronous) {
            // Caught up with this leader (its own pg_stat_replication says 'streaming'), healthy, may lead.
            for (String id : leader.streaming()) {
                KeeperStatus k = keepers.get(id);
                if (k != null
                        && k.healthy()
                        && k.role() == Role.STANDBY
                        && leaderId.equals(k.following())
                        && inPrimaryRegion(k, spec)) {
                    requested.add(id);
                }
            }
        }
        boolean leaderApplied = leader.appliedGeneration() >= view.generation();
        Set<String> sync = new TreeSet<>(view.syncStandbys());
        sync.addAll(requested); // grows in the view first; the leader's postgres follows
        for (String id : view.syncStandbys()) {
            boolean leaving = !requested.contains(id) && !view.syncRequested().contains(id);
            if (leaving && leaderApplied && !leader.synchronousNames().contains(id)) {
                sync.remove(id); // the leader's postgres no longer waits for it: it leaves the view last
            }
        }
        List<String> newSync = List.copyOf(sync);
        List<String> newRequested = List.copyOf(requested);
        if (!newSync.equals(view.syncStandbys()) || !newRequested.equals(view.syncRequested())) {
            return view.withStandbys(standbys)
                    .withSync(newSync, newRequested)
                    .advance(
                            leaderId,
                            view.phase(),
                            syncReason(leaderId, newSync, newRequested, synchronous, spec),
                            now);
        }
        String reason = syncReason(leaderId, newSync, newRequested, synchronous, spec);
        ClusterView next = standbys.equals(view.standbys()) ? view : view.withStandbys(standbys);
        return reason(next, reason);
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
        return base + "; no synchronous standby is in sync: "
                + (spec.synchronousStrict()
                        ? "writes wait until one catches up (cluster.synchronousStrict)"
                        : "the leader serves alone and automatic failover is off until one catches up");
    }

    private static ClusterView startFailover(ClusterView view, String reason, Instant now) {
        return view.withSync(view.syncStandbys(), List.of())
                .advance(null, Phase.FAILOVER_FENCING, "failover: " + reason + "; fencing", now)
                .withFormerLeader(view.leader());
    }

    // ---- failover -------------------------------------------------------------------------------------------

    private static ClusterView fencing(
            ClusterView view,
            Map<String, KeeperStatus> keepers,
            Map<String, ProxyStatus> proxies,
            Set<String> members,
            ClusterSpec spec,
            OperatorRequest accepted,
            Instant now) {
        List<String> unfenced = unfenced(view, proxies);
        if (!unfenced.isEmpty()) {
            return reason(
                    view,
                    "failover: waiting for the proxies of " + String.join(", ", unfenced)
                            + " to close their client connections");
        }
        if (accepted != null
                && accepted.kind() == OperatorRequest.Kind.FAILOVER
                && accepted.generation() == view.generation()) {
            KeeperStatus forced = keepers.get(accepted.target());
            if (forced != null && forced.pgUp() && forced.role() == Role.STANDBY) {
                return view.advance(
                        forced.memberId(),
                        Phase.FAILOVER_PROMOTING,
                        "forced failover (pgha failover "
                                + "--force): promoting " + forced.memberId() + "; writes only " + formerName(view)
                                + " acknowledged may be lost",
                        now);
            }
        }
        return chooseCandidate(view, keepers, members, spec, now, "");
    }

    private static List<String> unfenced(ClusterView view, Map<String, ProxyStatus> proxies) {
        return proxies.values().stream()
                .filter(p -> p.generation() < view.generation())
                .map(ProxyStatus::memberId)
                .sorted()
                .toList();
    }

    private static ClusterView chooseCandidate(
            ClusterView view,
            Map<String, KeeperStatus> keepers,
            Set<String> members,
            ClusterSpec spec,
            Instant now,
            String prefix) {
        Candidate c = candidate(view, keepers, members, spec);
        if (c.member() == null) {
            return reason(view, prefix + "no leader: " + c.why());
        }
        return view.advance(
                c.member(),
                Phase.FAILOVER_PROMOTING,
                prefix + "failover: promoting " + c.member() + " (" + c.why() + ")",
                now);
    }

    // ---- planned switchover -----------------------------------------------------------------------------------

    /** How long a switchover may wait for the leader's clean stop and the target's catch-up before giving up. */
    static final Duration SWITCHOVER_TIMEOUT = Duration.ofSeconds(30);

    /**
     * SWITCHOVER: nobody leads; proxies hold clients; the former leader shuts down cleanly (a fast shutdown sends all
     * of its WAL to the connected standbys) and reports where its WAL ends. Once the target has received all of it,
     * the target is promoted. If the former leader dies, the target goes away or this takes longer than
     * {@link #SWITCHOVER_TIMEOUT}, the failover rules decide instead (the former leader may lead again).
     */
    private static ClusterView switchover(
            ClusterView view,
            Map<String, KeeperStatus> keepers,
            Map<String, ProxyStatus> proxies,
            Set<String> members,
            ClusterSpec spec,
            OperatorRequest accepted,
            Instant now) {
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
        } else if (now.isAfter(view.updatedAt().plus(SWITCHOVER_TIMEOUT))) {
            abandon = "it did not complete within " + Durations.format(SWITCHOVER_TIMEOUT);
        }
        if (abandon != null) {
            List<String> unfenced = unfenced(view, proxies);
            if (!unfenced.isEmpty()) {
                return reason(
                        view,
                        "switchover abandoned (" + abandon + "): waiting for the proxies of "
                                + String.join(", ", unfenced) + " to close their client connections");
            }
            String prefix = "switchover abandoned (" + abandon + "); ";
            if (old != null && !old.pgUp() && old.writtenLsn() > 0) {
                // The former leader stopped cleanly: a standby that received all of its WAL holds every commit.
                Optional<KeeperStatus> complete = keepers.values().stream()
                        .filter(k -> k.role() == Role.STANDBY
                                && k.pgUp()
                                && k.healthy()
                                && inPrimaryRegion(k, spec)
                                && k.receivedLsn() > old.writtenLsn())
                        .min(MOST_WAL);
                if (complete.isPresent()) {
                    return view.advance(
                            complete.get().memberId(),
                            Phase.FAILOVER_PROMOTING,
                            prefix + "promoting " + complete.get().memberId() + " (it has received all of " + former
                                    + "'s WAL)",
                            now);
                }
            }
            return chooseCandidate(view, keepers, members, spec, now, prefix);
        }
        List<String> unfenced = unfenced(view, proxies);
        if (!unfenced.isEmpty()) {
            return reason(
                    view,
                    "switchover: waiting for the proxies of " + String.join(", ", unfenced)
                            + " to close their client connections");
        }
        if (old.pgUp()) {
            return reason(view, "switchover: waiting for leader " + former + " to shut down cleanly");
        }
        if (old.writtenLsn() == 0) {
            return reason(view, "switchover: waiting for " + former + " to report where its WAL ends");
        }
        if (next.receivedLsn() <= old.writtenLsn()) {
            return reason(
                    view,
                    "switchover: waiting for " + target + " to receive the last WAL of " + former + " (it has "
                            + Lsn.format(next.receivedLsn()) + ", " + former + " ended at "
                            + Lsn.format(old.writtenLsn()) + ")");
        }
        return view.advance(
                target,
                Phase.FAILOVER_PROMOTING,
                "switchover: promoting " + target + " (it has received all of " + former + "'s WAL)",
                now);
    }

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
    public static Verdict check(
            OperatorRequest request,
            ClusterView view,
            Map<String, KeeperStatus> keepers,
            Set<String> members,
            ClusterSpec spec) {
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
            if (k == null || !k.pgUp() || k.role() != Role.STANDBY || !k.initialized()) {
                return Verdict.refuse(target + " is not a running standby, so it cannot be promoted"
                        + (k != null && k.problem() != null ? " (" + k.problem() + ")" : ""));
            }
            if (!inPrimaryRegion(k, spec)) {
                return Verdict.refuse(target + " is outside primary region " + spec.primaryRegion());
            }
            return new Verdict(target, null);
        }
        String leaderId = view.leader();
        if (view.phase() != Phase.NORMAL || leaderId == null) {
            return Verdict.refuse("the cluster has no serving leader right now (phase " + view.phase()
                    + (view.reason() == null ? "" : ": " + view.reason()) + "); if it stays leaderless, use "
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
                        .thenComparing(MOST_WAL));
        if (best.isEmpty()) {
            return Verdict.refuse(notes.isEmpty() ? "there is no standby to switch over to" : String.join("; ", notes));
        }
        return new Verdict(best.get().memberId(), null);
    }

    /** Why {@code k} cannot take over from {@code leader} in a switchover, or null when it can. */
    private static String ineligible(KeeperStatus k, KeeperStatus leader, ClusterSpec spec) {
        String id = k.memberId();
        if (!inPrimaryRegion(k, spec)) {
            return id + " is outside primary region " + spec.primaryRegion();
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

    private record Candidate(String member, String why) {}

    private static Candidate candidate(
            ClusterView view, Map<String, KeeperStatus> keepers, Set<String> members, ClusterSpec spec) {
        String former = view.formerLeader() == null ? "the leader" : "leader " + view.formerLeader();
        List<KeeperStatus> eligible = keepers.values().stream()
                .filter(k -> k.role() == Role.STANDBY && k.pgUp() && k.healthy() && inPrimaryRegion(k, spec))
                .toList();
        String refusal;
        if (eligible.isEmpty()) {
            refusal = noHealthyStandby(keepers, spec);
        } else if (spec.synchronous(members.size())) {
            List<String> sync = view.syncStandbys();
            List<String> silent = sync.stream()
                    .filter(id -> keepers.get(id) == null || !keepers.get(id).pgUp())
                    .toList();
            long mostWal = sync.stream()
                    .map(keepers::get)
                    .filter(Objects::nonNull)
                    .mapToLong(KeeperStatus::lsn)
                    .max()
                    .orElse(0);
            Optional<KeeperStatus> best = eligible.stream()
                    .filter(k -> sync.contains(k.memberId()) && k.lsn() >= mostWal)
                    .min(MOST_WAL);
            if (sync.isEmpty()) {
                refusal = "no synchronous standby was in sync when " + former + " was lost, so any other member may "
                        + "miss acknowledged writes; automatic failover refused until " + formerName(view)
                        + " returns";
            } else if (!silent.isEmpty()) {
                refusal = "synchronous standby " + String.join(", ", silent) + " is not reporting, and it may hold "
                        + "acknowledged writes the others lack; waiting for it (or for " + formerName(view) + ")";
            } else if (best.isEmpty()) {
                refusal = "no synchronous standby (" + String.join(", ", sync) + ") is healthy, in the primary region "
                        + "and holds all the WAL the others have";
            } else {
                return new Candidate(best.get().memberId(), "synchronous standby with the most WAL");
            }
        } else {
            Optional<KeeperStatus> best = eligible.stream().min(MOST_WAL);
            if (best.isPresent()) {
                return new Candidate(best.get().memberId(), "healthy standby with the most WAL");
            }
            refusal = noHealthyStandby(keepers, spec);
        }
        KeeperStatus returned = view.formerLeader() == null ? null : keepers.get(view.formerLeader());
        if (returned != null
                && returned.initialized()
                && returned.role() != Role.STANDBY
                && inPrimaryRegion(returned, spec)) {
            return new Candidate(returned.memberId(), "the former leader is back and nobody else was promoted");
        }
        return new Candidate(null, refusal);
    }

    private static String formerName(ClusterView view) {
        return view.formerLeader() == null ? "the former leader" : "member " + view.formerLeader();
    }

    private static final Comparator<KeeperStatus> MOST_WAL =
            Comparator.comparingLong((KeeperStatus k) -> -k.lsn()).thenComparing(KeeperStatus::memberId);

    private static ClusterView promoting(ClusterView view, Map<String, KeeperStatus> keepers, Instant now) {
        KeeperStatus candidate = keepers.get(view.leader());
        if (candidate == null) {
            return view.advance(
                    null,
                    Phase.FAILOVER_FENCING,
                    "failover: candidate " + view.leader() + " was lost while being promoted; choosing again",
                    now);
        }
        if (isServingPrimary(candidate, view)) {
            String reason = view.reason() != null && view.reason().startsWith("switchover: promoting")
                    ? "member " + view.leader() + " leads (switchover from " + view.formerLeader() + ")"
                    : view.leader().equals(view.formerLeader())
                            ? "member " + view.leader() + " leads again (it came back before anyone else was promoted)"
                            : "member " + view.leader() + " leads (promoted after "
                                    + (view.formerLeader() == null ? "the leader" : view.formerLeader()) + " was lost)";
            return view.withSync(List.of(), List.of())
                    .advance(view.leader(), Phase.NORMAL, reason, now)
                    .withFormerLeader(null);
        }
        return view;
    }

    // ---- helpers --------------------------------------------------------------------------------------------

    private static boolean isServingPrimary(KeeperStatus k, ClusterView view) {
        return k != null
                && k.initialized()
                && k.pgUp()
                && k.role() == Role.PRIMARY
                && k.healthy()
                && k.appliedGeneration() >= view.generation();
    }

    private static ClusterView reason(ClusterView view, String reason) {
        return reason.equals(view.reason()) ? view : view.withReason(reason);
    }

    private static boolean inPrimaryRegion(KeeperStatus k, ClusterSpec spec) {
        return spec.primaryRegion() == null || Objects.equals(spec.primaryRegion(), k.region());
    }

    private static String noHealthyStandby(Map<String, KeeperStatus> keepers, ClusterSpec spec) {
        List<String> notes = new ArrayList<>();
        for (KeeperStatus k : keepers.values()) {
            if (!inPrimaryRegion(k, spec)) {
                notes.add(k.memberId() + " is outside primary region " + spec.primaryRegion());
            } else if (k.role() != Role.STANDBY || !k.pgUp()) {
                notes.add(k.memberId() + " is not a running standby");
            } else if (!k.healthy()) {
                notes.add(k.memberId() + " is unhealthy (" + k.problem() + ")");
            }
        }
        return "no healthy standby to promote" + (notes.isEmpty() ? "" : ": " + String.join("; ", notes));
    }

    private static String noCandidateInRegion(Map<String, KeeperStatus> keepers, ClusterSpec spec) {
        if (keepers.isEmpty()) {
            return "no leader: no keeper is running";
        }
        String running = keepers.values().stream()
                .map(k -> k.memberId() + " (" + (k.region() == null ? "no region" : k.region()) + ")")
                .collect(Collectors.joining(", "));
        return "no leader: no keeper runs in primary region " + spec.primaryRegion() + "; running: " + running;
    }
}
