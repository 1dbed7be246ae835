package dev.pgha.sentinel;

import dev.pgha.common.model.ClusterSpec;
import dev.pgha.common.model.ClusterView;
import dev.pgha.common.model.KeeperStatus;
import dev.pgha.common.model.Phase;
import dev.pgha.common.model.ProxyStatus;
import dev.pgha.common.model.Role;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * The sentinel's decision: the next cluster view as a pure function of the current view, the live keepers'
 * statuses, the proxies' acks and the spec. No I/O, so every rule is tested by tables.
 *
 * <p>Bootstrap follows stolon: the sentinel designates one member (leader set, phase INITIALIZING); that member
 * creates the cluster (or starts its existing data) and, once it reports itself a running primary, the view turns
 * NORMAL and proxies route to it. A member with data always wins over an empty one, so an existing cluster is
 * never replaced by a fresh initdb.
 */
public final class ViewPlanner {
    private ViewPlanner() {
    }

    /**
     * @param view     current view ({@link ClusterView#initial()} when none was written yet)
     * @param keepers  live keepers by member id (a keeper whose session ended is absent)
     * @param proxies  live proxies by member id
     * @param spec     cluster spec
     * @param now      the time written into a new generation
     * @return the view to write; equal to {@code view} when nothing changes
     */
    public static ClusterView next(ClusterView view, Map<String, KeeperStatus> keepers,
                                   Map<String, ProxyStatus> proxies, ClusterSpec spec, Instant now) {
        if (view.phase() != Phase.INITIALIZING) {
            return view; // failover and switchover rules come with replication
        }
        List<KeeperStatus> eligible = keepers.values().stream()
                .filter(k -> inPrimaryRegion(k, spec))
                .toList();
        if (view.leader() != null) {
            KeeperStatus designated = keepers.get(view.leader());
            if (designated != null && designated.initialized() && designated.pgUp()
                    && designated.role() == Role.PRIMARY && designated.healthy()) {
                return view.advance(view.leader(), Phase.NORMAL, "member " + view.leader() + " leads", now);
            }
            if (designated != null || eligible.isEmpty()) {
                return view; // still starting; or gone with nobody to take over
            }
        }
        if (eligible.isEmpty()) {
            return view.withReason(noCandidateReason(keepers, spec));
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
            .thenComparing(k -> -Math.max(k.writtenLsn(), Math.max(k.receivedLsn(), k.replayedLsn())))
            .thenComparing(k -> k.systemId() == 0 ? Long.MAX_VALUE : k.systemId() >>> 32)
            .thenComparing(KeeperStatus::memberId);

    private static boolean inPrimaryRegion(KeeperStatus k, ClusterSpec spec) {
        return spec.primaryRegion() == null || Objects.equals(spec.primaryRegion(), k.region());
    }

    private static String noCandidateReason(Map<String, KeeperStatus> keepers, ClusterSpec spec) {
        if (keepers.isEmpty()) {
            return "no leader: no keeper is running";
        }
        String members = keepers.values().stream()
                .map(k -> k.memberId() + " (" + (k.region() == null ? "no region" : k.region()) + ")")
                .collect(Collectors.joining(", "));
        return "no leader: no keeper runs in primary region " + spec.primaryRegion() + "; running: " + members;
    }
}
