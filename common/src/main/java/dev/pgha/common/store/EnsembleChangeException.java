package dev.pgha.common.store;

import dev.pgha.common.PghaException;

/** The store refused to change its servers; {@link #kind()} says why, for callers that wait or try again. */
public final class EnsembleChangeException extends PghaException {
    public enum Kind {
        /** Another change came first: read the servers again and decide again. */
        CONFLICT,
        /** A majority of the new set of voters is not connected yet (a joining server still syncing). */
        NO_QUORUM,
        /** Another change is under way. */
        IN_PROGRESS,
        /** The store does not change its servers (an external ZooKeeper without reconfigEnabled, or standalone). */
        UNSUPPORTED,
        /** Anything else: the message says what. */
        FAILED
    }

    private final Kind kind;

    public EnsembleChangeException(Kind kind, String message) {
        super(message);
        this.kind = kind;
    }

    public Kind kind() {
        return kind;
    }
}
