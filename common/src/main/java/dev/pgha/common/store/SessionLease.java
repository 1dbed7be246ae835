package dev.pgha.common.store;

/**
 * Whether this member's store session certainly has not expired yet, so that what it read from the store still
 * binds the rest of the cluster. The store cannot expire a session sooner than its timeout after it last heard from
 * it, so a read that succeeded on the session grants a lease of one session timeout from the moment it was sent; a
 * heartbeat renews it a few times per timeout, on the monotonic clock.
 *
 * <p>Why not wait for the session events: a process that was paused (SIGSTOP, a VM freeze, a long GC) or cut off
 * runs on with its old state when it resumes, and learns that its session expired only after its client has tried
 * to reach the server again, a while later. Its lease is over the moment it runs again.
 *
 * <p>A lease belongs to one session. When the session is replaced, the new one renews nothing until the owner
 * {@linkplain #adopt adopts} a snapshot read on it, which it does after acting on that snapshot.
 */
public interface SessionLease extends AutoCloseable {
    /** True while the adopted session certainly has not expired. Cheap: called for every relayed read. */
    boolean valid();

    /**
     * How long the lease still holds (zero when it does not): a lease that was not renewed for a while, though still
     * valid, says the store is slow to answer or away.
     */
    java.time.Duration remaining();

    /** The owner acts on {@code snapshot} from now on: its session is adopted, and the read itself renews the lease. */
    void adopt(ClusterSnapshot snapshot);

    @Override
    void close();
}
