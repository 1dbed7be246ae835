package dev.pgha.keeper;

/** What the keeper does next to converge its postgres to the cluster view, and why (for logs and status). */
public record KeeperAction(Kind kind, String reason) {
    public enum Kind {
        /** Nothing to change. */
        NONE,
        /** Wait for the sentinel (no leader chosen, or nothing to do until the leader is confirmed). */
        WAIT,
        /**
         * The cluster is paused (`pgha pause`): leave a stopped postgres stopped where the keeper would otherwise start,
         * clone or rewind it.
         */
        HOLD,
        /** Run initdb: the sentinel designated this member to create the cluster. */
        INITIALIZE,
        /** Copy the leader's data with pg_basebackup: this member has none yet. */
        CLONE,
        /** Start postgres in the role the view gives this member. */
        START,
        /** Point the running standby at the current leader (primary_conninfo, reload). */
        FOLLOW,
        /**
         * The leader was lost: stop receiving WAL from it (primary_conninfo emptied, reload), so that this standby's
         * WAL position is final while the sentinel compares the candidates'.
         */
        DETACH,
        /** Rewind this member's data to the leader's timeline (pg_rewind, re-clone if that fails). */
        REWIND,
        /** Promote the local standby: the sentinel chose this member to lead. */
        PROMOTE,
        /** Stop postgres now: it is a primary but another member (or nobody) leads — never two writable leaders. */
        FENCE,
        /**
         * Shut the primary down cleanly for a switchover: a fast shutdown sends all of its WAL to the standbys, and
         * it can follow the new leader afterwards without a rewind.
         */
        DEMOTE,
        /** Refuse to act: doing what the view asks would lose data; needs an operator. */
        REFUSE
    }

    static KeeperAction of(Kind kind, String reason) {
        return new KeeperAction(kind, reason);
    }
}
