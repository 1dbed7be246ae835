package dev.pgha.sentinel;

import dev.pgha.common.model.Cause;
import dev.pgha.common.model.ClusterSpec;
import dev.pgha.common.model.ClusterView;
import dev.pgha.common.model.KeeperStatus;
import dev.pgha.common.model.OperatorRequest;
import dev.pgha.common.model.ProxyStatus;
import dev.pgha.common.model.Role;
import dev.pgha.common.store.ClusterSnapshot;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The sentinel's decision: the next cluster view as a pure function of one {@link ClusterSnapshot} (the current
 * view, the live keepers' statuses, the proxies' acks, the registered members, the spec), the operator request the
 * sentinel has accepted, and the time. No I/O, so every rule is tested by tables. The rules live in three rooms,
 * by the phase the view is in:
 *
 * <ul>
 *   <li>{@link BootstrapRules}: INITIALIZING, designating the member that creates or starts the cluster;
 *   <li>{@link FailoverRules}: NORMAL (watching the leader, keeping the synchronous set), FAILOVER_FENCING and
 *       FAILOVER_PROMOTING;
 *   <li>{@link RequestRules}: checking operators' requests, and the SWITCHOVER phase.
 * </ul>
 */
public final class ViewPlanner {
    private ViewPlanner() {}

    /**
     * @param s        the cluster as read this cycle ({@link ClusterView#initial()} as view when none was written);
     *                 its registered members are the database members (witnesses are not members)
     * @param accepted an operator request the sentinel has accepted ({@link RequestRules#check}), or null
     * @param liveness what this sentinel has seen of the keepers on its own clock: every timeout counts on it
     * @param now      the time written into a new generation (for people; no rule compares it with a stored time)
     * @return the view to write; equal to the snapshot's view when nothing changes
     */
    public static ClusterView next(ClusterSnapshot s, OperatorRequest accepted, Liveness liveness, Instant now) {
        return switch (s.view().phase()) {
            case INITIALIZING -> BootstrapRules.initializing(s.view(), s.keepers(), s.spec(), now);
            case NORMAL -> FailoverRules.normal(s, accepted, liveness, now);
            case SWITCHOVER -> RequestRules.switchover(s, accepted, liveness, now);
            case FAILOVER_FENCING -> FailoverRules.fencing(s, accepted, liveness, now);
            case FAILOVER_PROMOTING -> FailoverRules.promoting(s.view(), s.keepers(), now);
        };
    }

    // ---- shared by the rules ----------------------------------------------------------------------------------

    /** The same view with another cause and reason; the view itself when both are unchanged. */
    static ClusterView reason(ClusterView view, Cause cause, String reason) {
        return cause == view.cause() && reason.equals(view.reason()) ? view : view.withReason(cause, reason);
    }

    static boolean inPrimaryRegion(KeeperStatus k, ClusterSpec spec) {
        return spec.primaryRegion() == null || Objects.equals(spec.primaryRegion(), k.region());
    }

    /** A member that runs as the primary this generation expects, healthy: proxies may route to it. */
    static boolean isServingPrimary(KeeperStatus k, ClusterView view) {
        return k != null
                && k.initialized()
                && k.pgUp()
                && k.role() == Role.PRIMARY
                && k.healthy()
                && k.appliedGeneration() >= view.generation();
    }

    /** Proxies that have not acknowledged this generation yet: they may still relay to the former leader. */
    static List<String> unfenced(ClusterView view, Map<String, ProxyStatus> proxies) {
        return proxies.values().stream()
                .filter(p -> p.generation() < view.generation())
                .map(ProxyStatus::memberId)
                .sorted()
                .toList();
    }

    static String formerName(ClusterView view) {
        return view.formerLeader() == null ? "the former leader" : "member " + view.formerLeader();
    }

    /**
     * The most WAL first; among equals the highest failoverPriority tag, then a member whose node does not run the
     * store ensemble's leader (losing that node costs a store election and a whole session timeout before its failover
     * even begins: every session's timeout starts again under the new store leader), then by id.
     */
    static final Comparator<KeeperStatus> MOST_WAL = Comparator.comparingLong((KeeperStatus k) -> -k.lsn())
            .thenComparingInt(k -> -k.tags().failoverPriority())
            .thenComparing(KeeperStatus::hostsStoreLeader)
            .thenComparing(KeeperStatus::memberId);
}
