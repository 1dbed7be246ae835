package dev.pgha.keeper;

import dev.pgha.common.model.Cause;
import dev.pgha.common.model.ClusterView;
import dev.pgha.common.model.KeeperStatus;
import dev.pgha.common.model.OperatorRequest;
import dev.pgha.common.model.Phase;
import dev.pgha.common.model.Role;
import java.time.Duration;
import java.util.Objects;

/** The keeper's decision as a pure function of the view and the local postgres, tested by tables. */
public final class KeeperPlanner {
    private KeeperPlanner() {}

    /**
     * The local facts the decision depends on.
     *
     * @param initialized   PGDATA holds a complete cluster
     * @param running       postgres runs
     * @param role          what the running postgres is (NONE when it does not answer)
     * @param standbySignal PGDATA has standby.signal: it last ran (or will start) as a standby; a data directory
     *                      without it was a primary and must be rewound before it may follow anyone
     * @param upstream      the member the standby configuration points at (null when none)
     * @param stuck         a standby that cannot follow the leader: it receives nothing new while behind, or
     *                      postgres keeps failing to start (e.g. it holds WAL the leader never had)
     * @param cleanShutdown postgres is stopped and its last shutdown was clean (pg_control says so): its WAL ends
     *                      at its shutdown checkpoint
     * @param promisedTo    failsafe mode: the leader this member promised, while that leader could not reach the
     *                      store, not to promote until the promise runs out; null when no promise holds
     */
    public record Local(
            boolean initialized,
            boolean running,
            Role role,
            boolean standbySignal,
            String upstream,
            boolean stuck,
            boolean cleanShutdown,
            String promisedTo) {

        /** No failsafe promise outstanding. */
        public Local(
                boolean initialized,
                boolean running,
                Role role,
                boolean standbySignal,
                String upstream,
                boolean stuck,
                boolean cleanShutdown) {
            this(initialized, running, role, standbySignal, upstream, stuck, cleanShutdown, null);
        }
    }

    /**
     * As {@link #decide(String, ClusterView, Local)}, for a cluster that may be paused.
     *
     * @param paused `pgha pause` holds and no operator asked this member to start postgres (`pgha restart`): a
     *               stopped postgres stays stopped — no start, clone or rewind on the keeper's own initiative — except
     *               where an operator's switchover needs it, and except the first start of a new cluster
     */
    public static KeeperAction decide(String me, ClusterView view, Local local, boolean paused) {
        KeeperAction action = decide(me, view, local);
        boolean startsPostgres = action.kind() == KeeperAction.Kind.START
                || action.kind() == KeeperAction.Kind.CLONE
                || action.kind() == KeeperAction.Kind.REWIND;
        boolean handingOver = view.cause() == Cause.SWITCHOVER && me.equals(view.formerLeader());
        if (!paused || !startsPostgres || handingOver) {
            return action;
        }
        return KeeperAction.of(
                KeeperAction.Kind.HOLD,
                "the cluster is paused: pgha neither starts nor stops postgres on its own (otherwise: "
                        + action.reason() + "); `pgha resume`, or `pgha restart " + me + "` starts it");
    }

    /**
     * Whether postgres has converged to what the tick decided, which its status calls healthy (for a leader, once its
     * roles are set up too): it answers and plays the role the view gives it. A standby waiting out a failover (WAIT,
     * DETACH) has converged too: it is what the sentinel may promote.
     *
     * @param state what postgres reported (null when it is not up)
     */
    public static boolean converged(KeeperAction.Kind action, PgClient.PgState state) {
        return state != null
                && (action == KeeperAction.Kind.NONE
                        || (action == KeeperAction.Kind.WAIT || action == KeeperAction.Kind.DETACH)
                                && state.inRecovery());
    }

    /** When the keeper's loop looks again after a tick, besides its heartbeat and the store's change events. */
    public enum NextLook {
        HEARTBEAT(null),
        /** At once: the standby configuration just changed, and the next look converges further. */
        NOW(Duration.ZERO),
        /** Within 20 ms: the sentinel waits for this member's next report, and nothing else wakes it. */
        SOON(Duration.ofMillis(20));

        private final Duration after;

        NextLook(Duration after) {
            this.after = after;
        }

        /** How soon the loop looks again; null: at its heartbeat (or the store's next change event). */
        public Duration after() {
            return after;
        }
    }

    /**
     * When to look again after a tick that decided {@code action}. A FOLLOW converges further at once instead of a
     * heartbeat later. A standby reports again within milliseconds while the sentinel waits for it: in a failover's
     * fencing, a detached standby until postgres has settled (its final WAL position); in a switchover's hand-over,
     * the target until it received all of the former leader's WAL ({@link #reportsAgainSoon}).
     *
     * @param state    what postgres reported (null when it is not up)
     * @param upstream the member the standby configuration points at (null when none)
     * @param request  the operator's request as last read (null when none)
     * @param former   the view's former leader's status as last read (null when none)
     */
    public static NextLook nextLook(
            String me,
            KeeperAction.Kind action,
            ClusterView view,
            PgClient.PgState state,
            String upstream,
            OperatorRequest request,
            KeeperStatus former) {
        if (action == KeeperAction.Kind.FOLLOW) {
            return NextLook.NOW;
        }
        if (state == null || !state.inRecovery()) {
            return NextLook.HEARTBEAT;
        }
        boolean settling = view.phase() == Phase.FAILOVER_FENCING && upstream == null && !state.walSettled();
        return settling || reportsAgainSoon(me, view, request, former, state.receivedLsn())
                ? NextLook.SOON
                : NextLook.HEARTBEAT;
    }

    /**
     * Whether this member reports again within a few milliseconds instead of a heartbeat later: in a switchover's
     * hand-over (phase SWITCHOVER), the target of the accepted request, until the sentinel can see that it received
     * all of the former leader's WAL (the former leader reported where its WAL ends, and this member received past
     * it). That report is the last thing the promotion waits for, and nothing else wakes this member for it.
     *
     * @param former      the former leader's status as last read (null when it has none)
     * @param receivedLsn where this standby's received WAL ends now
     */
    static boolean reportsAgainSoon(
            String me, ClusterView view, OperatorRequest request, KeeperStatus former, long receivedLsn) {
        boolean target = view.phase() == Phase.SWITCHOVER
                && request != null
                && request.kind() == OperatorRequest.Kind.SWITCHOVER
                && request.state() == OperatorRequest.State.ACCEPTED
                && me.equals(request.target());
        boolean formerEnded = former != null && !former.pgUp() && former.writtenLsn() > 0;
        return target && !(formerEnded && receivedLsn > former.writtenLsn());
    }

    public static KeeperAction decide(String me, ClusterView view, Local local) {
        String leader = view.leader();
        boolean writablePrimary = local.running() && local.role() == Role.PRIMARY;
        if (me.equals(leader)) {
            return lead(view, local);
        }
        boolean handingOver = view.cause() == Cause.SWITCHOVER && me.equals(view.formerLeader());
        if (leader == null) {
            if (writablePrimary && handingOver) {
                return KeeperAction.of(
                        KeeperAction.Kind.DEMOTE,
                        "switchover: shutting down cleanly, so that the standby taking over receives all of this "
                                + "member's WAL");
            }
            if (writablePrimary && view.phase() != Phase.INITIALIZING) {
                return KeeperAction.of(KeeperAction.Kind.FENCE, "the cluster has no leader (" + view.phase() + ")");
            }
            if (local.initialized()
                    && local.standbySignal()
                    && !local.running()
                    && view.phase() != Phase.INITIALIZING) {
                // Up and reporting its WAL position, a standby can be chosen; stopped, it could not.
                return KeeperAction.of(
                        KeeperAction.Kind.START,
                        "the cluster has no leader: starting as a standby "
                                + "so that the sentinel can choose among the members");
            }
            if (local.running()
                    && local.role() == Role.STANDBY
                    && local.upstream() != null
                    && view.phase() == Phase.FAILOVER_FENCING) {
                // Not in a switchover: there the target must go on receiving until the former leader's last WAL.
                return KeeperAction.of(
                        KeeperAction.Kind.DETACH,
                        "the leader was lost: no longer receiving WAL from member " + local.upstream()
                                + ", so that this member's WAL position is final while the sentinel chooses");
            }
            return KeeperAction.of(KeeperAction.Kind.WAIT, "waiting for the sentinel to choose a leader");
        }
        if (writablePrimary) {
            return KeeperAction.of(
                    KeeperAction.Kind.FENCE,
                    "member " + leader + " leads the cluster (generation " + view.generation() + ")");
        }
        if (view.phase() == Phase.INITIALIZING) {
            return KeeperAction.of(KeeperAction.Kind.WAIT, "waiting for member " + leader + " to start the cluster");
        }
        boolean leaderConfirmed = view.phase() == Phase.NORMAL || view.phase() == Phase.SWITCHOVER;
        if (!local.initialized()) {
            return leaderConfirmed
                    ? KeeperAction.of(KeeperAction.Kind.CLONE, "no data yet: cloning member " + leader)
                    : KeeperAction.of(
                            KeeperAction.Kind.WAIT,
                            "no data yet: waiting for member " + leader + " to finish its promotion before cloning it");
        }
        if (!local.standbySignal() && !local.running()) {
            if (handingOver && local.cleanShutdown()) {
                // The sentinel promotes it only once it has received this member's shutdown checkpoint: its
                // timeline forks after everything this member wrote, so there is nothing to rewind.
                return leaderConfirmed
                        ? KeeperAction.of(
                                KeeperAction.Kind.START,
                                "member " + leader + " took over in a switchover with all of this member's WAL: "
                                        + "following it without a rewind")
                        : KeeperAction.of(
                                KeeperAction.Kind.WAIT,
                                "switchover: waiting for member " + leader + " to finish its promotion, then following"
                                        + " it");
            }
            return leaderConfirmed
                    ? KeeperAction.of(
                            KeeperAction.Kind.REWIND,
                            "this member's data was a primary and member " + leader
                                    + " leads now: rewinding it to follow " + leader)
                    : KeeperAction.of(
                            KeeperAction.Kind.WAIT,
                            "this member's data was a primary: waiting for member " + leader
                                    + " to finish its promotion, then rewinding to follow it");
        }
        if (!local.running()) {
            if (local.stuck() && leaderConfirmed) {
                return KeeperAction.of(
                        KeeperAction.Kind.REWIND,
                        "postgres keeps failing to start as a standby of member " + leader
                                + ": rewinding it to the leader's timeline");
            }
            return KeeperAction.of(KeeperAction.Kind.START, "starting as a standby of member " + leader);
        }
        if (!Objects.equals(local.upstream(), leader)) {
            return KeeperAction.of(KeeperAction.Kind.FOLLOW, "member " + leader + " leads now: following it");
        }
        if (local.stuck() && leaderConfirmed) {
            return KeeperAction.of(
                    KeeperAction.Kind.REWIND,
                    "this standby cannot stream from member " + leader + ": rewinding it to the leader's timeline");
        }
        return KeeperAction.of(KeeperAction.Kind.NONE, "streaming from member " + leader);
    }

    private static KeeperAction lead(ClusterView view, Local local) {
        if (!local.initialized()) {
            if (view.phase() == Phase.INITIALIZING) {
                return KeeperAction.of(
                        KeeperAction.Kind.INITIALIZE, "designated to create the cluster: running initdb");
            }
            return KeeperAction.of(
                    KeeperAction.Kind.REFUSE,
                    "this member leads the cluster (generation "
                            + view.generation() + ") but its data directory is empty; refusing to create a new, empty "
                            + "cluster in its place. Restore the data directory, or to really start over delete the "
                            + "cluster's state in the store as well");
        }
        if (!local.running()) {
            return KeeperAction.of(KeeperAction.Kind.START, "this member leads the cluster: starting postgres");
        }
        if (local.role() == Role.STANDBY && local.promisedTo() != null) {
            // failsafe: that leader may still serve, relying on this member's promise; two leaders are impossible
            // only if the promise is kept to its end
            return KeeperAction.of(
                    KeeperAction.Kind.WAIT,
                    "chosen to lead (generation " + view.generation() + "), but this member promised member "
                            + local.promisedTo() + " (failsafe mode) not to promote yet: promoting once that "
                            + "promise runs out");
        }
        if (local.role() == Role.STANDBY) {
            return KeeperAction.of(
                    KeeperAction.Kind.PROMOTE,
                    "chosen to lead (generation " + view.generation() + "): promoting the local standby");
        }
        if (local.role() == Role.NONE) {
            return KeeperAction.of(KeeperAction.Kind.WAIT, "postgres does not answer yet");
        }
        return KeeperAction.of(KeeperAction.Kind.NONE, "serving as the cluster's leader");
    }
}
