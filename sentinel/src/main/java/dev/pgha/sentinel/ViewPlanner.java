package dev.pgha.sentinel;

import dev.pgha.common.config.Durations;
import dev.pgha.common.model.ClusterSpec;
import dev.pgha.common.model.ClusterView;
import dev.pgha.common.model.KeeperStatus;
import dev.pgha.common.model.Phase;
import dev.pgha.common.model.ProxyStatus;
import dev.pgha.common.model.Role;
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
    private ViewPlanner() {
    }

    /**
     * @param view     current view ({@link ClusterView#initial()} when none was written yet)
     * @param keepers  live keepers by member id (a keeper whose session ended is absent)
     * @param proxies  live proxies by member id
     * @param members  registered database members (witnesses are not members)
     * @param spec     cluster spec
     * @param now      the time written into a new generation, and the clock for failTimeout
     * @return the view to write; equal to {@code view} when nothing changes
     */
    public static ClusterView next(ClusterView view, Map<String, KeeperStatus> keepers,
                                   Map<String, ProxyStatus> proxies, Set<String> members, ClusterSpec spec,
                                   Instant now) {
        return switch (view.phase()) {
            case INITIALIZING -> initializing(view, keepers, spec, now);
            case NORMAL, SWITCHOVER -> normal(view, keepers, members, spec, now);
            case FAILOVER_FENCING -> fencing(view, keepers, proxies, members, spec, now);
            case FAILOVER_PROMOTING -> promoting(view, keepers, now);
        };
    }

    // ---- bootstrap ------------------------------------------------------------------------------------------

    private static ClusterView initializing(ClusterView view, Map<String, KeeperStatus> keepers, ClusterSpec spec,
                                            Instant now) {
        List<KeeperStatus> eligible = keepers.values().stream().filter(k -> inPrimaryRegion(k, spec)).toList();
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
        Optional<KeeperStatus> withData = eligible.stream().filter(KeeperStatus::initialized).min(BEST_DATA);
        if (withData.isPresent()) {
            String id = withData.get().memberId();
            return view.advance(id, Phase.INITIALIZING, "member " + id + " has the cluster's data and starts as leader", now);
        }
        String id = eligible.stream().map(KeeperStatus::memberId).min(Comparator.naturalOrder()).orElseThrow();
        return view.advance(id, Phase.INITIALIZING, "member " + id + " creates the cluster", now);
    }

    /** Primary first, then the most WAL, then the oldest cluster (system id starts with the initdb time), then id. */
    static final Comparator<KeeperStatus> BEST_DATA = Comparator
            .comparing((KeeperStatus k) -> k.role() != Role.PRIMARY)
            .thenComparing(k -> -k.lsn())
            .thenComparing(k -> k.systemId() == 0 ? Long.MAX_VALUE : k.systemId() >>> 32)
            .thenComparing(KeeperStatus::memberId);

    // ---- normal operation: watch the leader, keep the synchronous set --------------------------------------

    private static ClusterView normal(ClusterView view, Map<String, KeeperStatus> keepers, Set<String> members,
                                      ClusterSpec spec, Instant now) {
        String leaderId = view.leader();
        KeeperStatus leader = keepers.get(leaderId);
        if (leader == null) {
            return startFailover(view, "leader " + leaderId + " was lost (its store session ended)", now);
        }
        if (leader.updatedAt() != null && now.isAfter(leader.updatedAt().plus(spec.failTimeout()))) {
            // Its session lives but its keeper stopped reporting: stuck on a hung postgres, say.
            return startFailover(view, "leader " + leaderId + " has not reported its status for more than "
                    + Durations.format(spec.failTimeout()) + " (cluster.failTimeout)", now);
        }
        if (!leader.healthy() && leader.unhealthySince() != null
                && !now.isBefore(leader.unhealthySince().plus(spec.failTimeout()))) {
            return startFailover(view, "leader " + leaderId + " has been unhealthy for more than "
                    + Durations.format(spec.failTimeout()) + " (cluster.failTimeout): " + leader.problem(), now);
        }
        List<String> standbys = keepers.values().stream()
                .filter(k -> !k.memberId().equals(leaderId) && k.pgUp() && k.role() == Role.STANDBY)
                .map(KeeperStatus::memberId).sorted().toList();
        boolean synchronous = spec.synchronous(members.size());
        Set<String> requested = new TreeSet<>();
        if (synchronous) {
            // Caught up with this leader (its own pg_stat_replication says 'streaming'), healthy, may lead.
            for (String id : leader.streaming()) {
                KeeperStatus k = keepers.get(id);
                if (k != null && k.healthy() && k.role() == Role.STANDBY && leaderId.equals(k.following())
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
            return view.withStandbys(standbys).withSync(newSync, newRequested)
                    .advance(leaderId, view.phase(), syncReason(leaderId, newSync, newRequested, synchronous, spec), now);
        }
        String reason = syncReason(leaderId, newSync, newRequested, synchronous, spec);
        ClusterView next = standbys.equals(view.standbys()) ? view : view.withStandbys(standbys);
        return reason(next, reason);
    }

    private static String syncReason(String leader, List<String> sync, List<String> requested, boolean synchronous,
                                     ClusterSpec spec) {
        String base = "member " + leader + " leads";
        if (!synchronous) {
            return base;
        }
        List<String> waitedFor = sync.stream().filter(requested::contains).toList();
        if (!waitedFor.isEmpty()) {
            return base + "; synchronous standbys: " + String.join(", ", waitedFor);
        }
        return base + "; no synchronous standby is in sync: "
                + (spec.synchronousStrict() ? "writes wait until one catches up (cluster.synchronousStrict)"
                : "the leader serves alone and automatic failover is off until one catches up");
    }

    private static ClusterView startFailover(ClusterView view, String reason, Instant now) {
        return view.withSync(view.syncStandbys(), List.of())
                .advance(null, Phase.FAILOVER_FENCING, "failover: " + reason + "; fencing", now)
                .withFormerLeader(view.leader());
    }

    // ---- failover -------------------------------------------------------------------------------------------

    private static ClusterView fencing(ClusterView view, Map<String, KeeperStatus> keepers,
                                       Map<String, ProxyStatus> proxies, Set<String> members, ClusterSpec spec,
                                       Instant now) {
        List<String> unfenced = proxies.values().stream()
                .filter(p -> p.generation() < view.generation())
                .map(ProxyStatus::memberId).sorted().toList();
        if (!unfenced.isEmpty()) {
            return reason(view, "failover: waiting for the proxies of " + String.join(", ", unfenced)
                    + " to close their client connections");
        }
        Candidate c = candidate(view, keepers, members, spec);
        if (c.member() == null) {
            return reason(view, "no leader: " + c.why());
        }
        return view.advance(c.member(), Phase.FAILOVER_PROMOTING, "failover: promoting " + c.member() + " (" + c.why()
                + ")", now);
    }

    private record Candidate(String member, String why) {
    }

    private static Candidate candidate(ClusterView view, Map<String, KeeperStatus> keepers, Set<String> members,
                                       ClusterSpec spec) {
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
                    .filter(id -> keepers.get(id) == null || !keepers.get(id).pgUp()).toList();
            long mostWal = sync.stream().map(keepers::get).filter(Objects::nonNull)
                    .mapToLong(KeeperStatus::lsn).max().orElse(0);
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
        if (returned != null && returned.initialized() && returned.role() != Role.STANDBY
                && inPrimaryRegion(returned, spec)) {
            return new Candidate(returned.memberId(), "the former leader is back and nobody else was promoted");
        }
        return new Candidate(null, refusal);
    }

    private static String formerName(ClusterView view) {
        return view.formerLeader() == null ? "the former leader" : "member " + view.formerLeader();
    }

    private static final Comparator<KeeperStatus> MOST_WAL = Comparator
            .comparingLong((KeeperStatus k) -> -k.lsn())
            .thenComparing(KeeperStatus::memberId);

    private static ClusterView promoting(ClusterView view, Map<String, KeeperStatus> keepers, Instant now) {
        KeeperStatus candidate = keepers.get(view.leader());
        if (candidate == null) {
            return view.advance(null, Phase.FAILOVER_FENCING, "failover: candidate " + view.leader()
                    + " was lost while being promoted; choosing again", now);
        }
        if (isServingPrimary(candidate, view)) {
            String reason = view.leader().equals(view.formerLeader())
                    ? "member " + view.leader() + " leads again (it came back before anyone else was promoted)"
                    : "member " + view.leader() + " leads (promoted after "
                    + (view.formerLeader() == null ? "the leader" : view.formerLeader()) + " was lost)";
            return view.withSync(List.of(), List.of()).advance(view.leader(), Phase.NORMAL, reason, now)
                    .withFormerLeader(null);
        }
        return view;
    }

    // ---- helpers --------------------------------------------------------------------------------------------

    private static boolean isServingPrimary(KeeperStatus k, ClusterView view) {
        return k != null && k.initialized() && k.pgUp() && k.role() == Role.PRIMARY && k.healthy()
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
