package dev.pgha.common.store;

/**
 * A value this member keeps in the store only while its session lives (a keeper's status, a proxy's
 * acknowledgement, a witness's presence): the store puts it back after a new session starts, and it vanishes when
 * this member's session ends, which is how the others learn that the member is gone. Closing withdraws it.
 */
public interface Published<T> extends AutoCloseable {
    /** Replaces the value. Never throws: a failure is retried by the store, and the next publish replaces it. */
    void publish(T value);

    @Override
    void close();
}
