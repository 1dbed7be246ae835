package dev.pgha.sentinel;

import dev.pgha.common.model.Cause;
import dev.pgha.common.model.ClusterSpec;
import dev.pgha.common.model.ClusterView;
import dev.pgha.common.model.KeeperStatus;
import dev.pgha.common.model.Phase;
import dev.pgha.common.model.Role;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * INITIALIZING, as stolon does it: the sentinel designates one member (leader set, phase INITIALIZING); that member
 * creates the cluster (or starts its existing data) and, once it reports itself a running primary, the view turns
 * NORMAL. A member with data always wins over an empty one, so an existing cluster is never replaced.
 */
final class BootstrapRules {
    private BootstrapRules() {}

    static ClusterView initializing(
            ClusterView view, Map<String, KeeperStatus> keepers, ClusterSpec spec, Instant now) {
        List<KeeperStatus> eligible = keepers.values().stream()
                .filter(k -> ViewPlanner.inPrimaryRegion(k, spec))
                .toList();
        if (view.leader() != null) {
            KeeperStatus designated = keepers.get(view.leader());
            if (ViewPlanner.isServingPrimary(designated, view)) {
                return view.advance(
                        view.leader(), Phase.NORMAL, Cause.BOOTSTRAP, "member " + view.leader() + " leads", now);
            }
            if (designated != null || eligible.isEmpty()) {
                return view; // still starting; or gone with nobody to take over
            }
        }
        if (eligible.isEmpty()) {
            return ViewPlanner.reason(view, Cause.NO_CANDIDATE, noCandidateInRegion(keepers, spec));
        }
        Optional<KeeperStatus> withData =
                eligible.stream().filter(KeeperStatus::initialized).min(BEST_DATA);
        if (withData.isPresent()) {
            String id = withData.get().memberId();
            return view.advance(
                    id,
                    Phase.INITIALIZING,
                    Cause.BOOTSTRAP,
                    "member " + id + " has the cluster's data and starts as leader",
                    now);
        }
        String id = eligible.stream()
                .map(KeeperStatus::memberId)
                .min(Comparator.naturalOrder())
                .orElseThrow();
        return view.advance(id, Phase.INITIALIZING, Cause.BOOTSTRAP, "member " + id + " creates the cluster", now);
    }

    /** Primary first, then the most WAL, then the oldest cluster (system id starts with the initdb time), then id. */
    static final Comparator<KeeperStatus> BEST_DATA = Comparator.comparing((KeeperStatus k) -> k.role() != Role.PRIMARY)
            .thenComparing(k -> -k.lsn())
            .thenComparing(k -> k.systemId() == 0 ? Long.MAX_VALUE : k.systemId() >>> 32)
            .thenComparing(KeeperStatus::memberId);

    private static String noCandidateInRegion(Map<String, KeeperStatus> keepers, ClusterSpec spec) {
        if (keepers.isEmpty()) {
            return "no keeper is running";
        }
        String running = keepers.values().stream()
                .map(k -> k.memberId() + " (" + (k.region() == null ? "no region" : k.region()) + ")")
                .collect(Collectors.joining(", "));
        return "no keeper runs in primary region " + spec.primaryRegion() + "; running: " + running;
    }
}
