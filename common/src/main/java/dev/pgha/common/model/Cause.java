package dev.pgha.common.model;

/**
 * Why the view is what it is, as a type: decisions read this, never the human reason next to it. While a leader
 * leads it says how that leader came to lead; while the cluster is leaderless, why.
 */
public enum Cause {
    /** The cluster is being created or started: a member is designated to start it, or leads since it did. */
    BOOTSTRAP,
    /** Automatic: the leader was lost (session ended), went silent or stayed unhealthy, and was replaced. */
    FAILOVER,
    /**
     * Planned: the leader shuts down cleanly and hands over to a member that received all of its WAL (an operator's
     * switchover, or a leader's handover before it stops); the former leader can follow the new one without rewind.
     */
    SWITCHOVER,
    /** An operator forced a promotion (pgha failover --force), accepting that writes may be lost. */
    OPERATOR,
    /** Leaderless, and no member may be promoted now; the reason says why. */
    NO_CANDIDATE;

    /** An operator asked for it, as opposed to pgha deciding by itself. */
    public boolean planned() {
        return this == SWITCHOVER || this == OPERATOR;
    }
}
