package dev.pgha.common.store;

/** What happened to this member's store session. */
public enum SessionEvent {
    /** The connection dropped; the session may still live (the server keeps it for a session timeout). */
    SUSPENDED,
    /** The session expired: what was read on it may no longer bind the cluster, and ephemeral state is gone. */
    LOST,
    /** Connected again, on the same session (after SUSPENDED) or a new one (after LOST). */
    RECONNECTED
}
