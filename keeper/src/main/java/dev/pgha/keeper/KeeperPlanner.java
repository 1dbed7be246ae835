package dev.pgha.keeper;

import dev.pgha.common.model.ClusterView;
import dev.pgha.common.model.Phase;
import dev.pgha.common.model.Role;

/** The keeper's decision as a pure function of the view and the local postgres, tested by tables. */
public final class KeeperPlanner {
    private KeeperPlanner() {
    }

    /** The local facts the decision depends on. */
    public record Local(boolean initialized, boolean running, Role role) {
    }

    public static KeeperAction decide(String me, ClusterView view, Local local) {
        String leader = view.leader();
        if (me.equals(leader)) {
            if (!local.initialized()) {
                if (view.phase() == Phase.INITIALIZING) {
                    return KeeperAction.of(KeeperAction.Kind.INITIALIZE, "designated to create the cluster: running initdb");
                }
                return KeeperAction.of(KeeperAction.Kind.REFUSE, "this member leads the cluster (generation "
                        + view.generation() + ") but its data directory is empty; refusing to create a new, empty "
                        + "cluster in its place. Restore the data directory, or to really start over delete the "
                        + "cluster's state in the store as well");
            }
            if (!local.running()) {
                return KeeperAction.of(KeeperAction.Kind.START, "this member leads the cluster: starting postgres");
            }
            return KeeperAction.of(KeeperAction.Kind.NONE, "serving as the cluster's leader");
        }
        boolean writablePrimary = local.running() && local.role() == Role.PRIMARY;
        if (leader != null) {
            if (writablePrimary) {
                return KeeperAction.of(KeeperAction.Kind.FENCE, "member " + leader + " leads the cluster (generation "
                        + view.generation() + ")");
            }
            return KeeperAction.of(KeeperAction.Kind.WAIT, "member " + leader
                    + " leads; this pgha version cannot run a replica yet");
        }
        if (writablePrimary && view.phase() != Phase.INITIALIZING) {
            return KeeperAction.of(KeeperAction.Kind.FENCE, "the cluster has no leader (" + view.phase() + ")");
        }
        return KeeperAction.of(KeeperAction.Kind.WAIT, "waiting for the sentinel to choose a leader");
    }
}
