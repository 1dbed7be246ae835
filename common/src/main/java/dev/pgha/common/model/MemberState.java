package dev.pgha.common.model;

import java.util.Locale;
import java.util.OptionalLong;

/**
 * A registered member as the rest of the cluster sees it, derived from its registration and its keeper's latest
 * status (see {@code ClusterSnapshot#memberStates()}): the one set of words `pgha status`, /cluster and the
 * metrics use.
 *
 * @param info        its registration
 * @param keeper      its keeper's latest status; null while its keeper does not report
 * @param leads       it is the view's leader
 * @param synchronous the leader's postgres waits for it
 * @param state       what it is doing
 * @param lagBytes    WAL it has yet to replay behind the leader; empty for the leader and when unknown
 */
public record MemberState(
        MemberInfo info, KeeperStatus keeper, boolean leads, boolean synchronous, State state, OptionalLong lagBytes) {

    /** What a member is doing, worst first. */
    public enum State {
        /** Its keeper does not report: the node or its daemon is stopped. */
        DOWN,
        /** The keeper reports, postgres is not up. */
        STOPPED,
        /** postgres is up but not fit to serve in its role (the keeper says why). */
        UNHEALTHY,
        /** A standby receiving WAL from the leader right now. */
        STREAMING,
        /** Up and healthy (the leader, or a standby not streaming). */
        RUNNING;

        public static State of(KeeperStatus k) {
            if (k == null) {
                return DOWN;
            }
            if (!k.pgUp()) {
                return STOPPED;
            }
            if (!k.healthy()) {
                return UNHEALTHY;
            }
            return k.role() == Role.STANDBY && k.following() != null ? STREAMING : RUNNING;
        }

        /** The word status and /cluster print: running, streaming, stopped, unhealthy, down. */
        public String word() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    public String id() {
        return info.id();
    }
}
