package dev.pgha.common.store;

import java.io.Closeable;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.apache.zookeeper.ZooKeeper;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether this member's ZooKeeper session certainly has not expired yet, so that what it read from the store
 * still binds the rest of the cluster. ZooKeeper cannot expire a session sooner than its timeout after it last
 * heard from it, so a request that succeeded on the session grants a lease of one session timeout from the moment
 * it was sent; a heartbeat renews it a few times per timeout.
 *
 * <p>Why not wait for the session events: a process that was paused (SIGSTOP, a VM freeze, a long GC) or cut off
 * runs on with its old state when it resumes, and learns that its session expired only after its client has
 * tried to reach the server again, a while later. Its lease, measured on the monotonic clock, is over the moment
 * it runs again.
 *
 * <p>A lease belongs to one session. When the session is replaced, the new one renews nothing until the owner
 * {@linkplain #adopt adopts} it, which it does after re-reading what it acts on.
 */
public final class SessionLease implements Closeable {
    private static final Logger log = LoggerFactory.getLogger(SessionLease.class);

    private final ClusterStore store;
    private final long timeoutNanos;
    private final Duration interval;
    private final Consumer<Boolean> onChange;
    private final ScheduledExecutorService heartbeat;
    private volatile long adopted; // session id the owner acts for; 0 = none yet
    private volatile long current; // session id of the last successful heartbeat
    private volatile long expiresAt; // System.nanoTime() at which the lease ends
    private volatile boolean lastValid;

    /**
     * @param sessionTimeout the configured session timeout (the server may grant less; the lease uses the smaller)
     * @param onChange       told (on the heartbeat thread) when the lease starts or stops being valid
     */
    public SessionLease(ClusterStore store, Duration sessionTimeout, Consumer<Boolean> onChange) {
        this.store = store;
        this.timeoutNanos = sessionTimeout.toNanos();
        this.interval = Duration.ofMillis(Math.max(50, sessionTimeout.toMillis() / 8));
        this.onChange = onChange;
        this.heartbeat = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "session-lease");
            t.setDaemon(true);
            return t;
        });
    }

    public SessionLease start() {
        heartbeat.scheduleWithFixedDelay(this::beat, 0, interval.toMillis(), TimeUnit.MILLISECONDS);
        return this;
    }

    /** True while the adopted session certainly has not expired. Cheap: called for every relayed read. */
    public boolean valid() {
        long a = adopted;
        return a != 0 && a == current && System.nanoTime() - expiresAt < 0;
    }

    /** The session the client has now (0 when it has none), to be passed to {@link #adopt} after reading. */
    public long session() {
        try {
            ZooKeeper zk = store.curator().getZookeeperClient().getZooKeeper();
            return zk.getState().isConnected() ? zk.getSessionId() : 0;
        } catch (Exception e) {
            return 0;
        }
    }

    /**
     * The owner read the store on {@code sessionId}, having sent the read at {@code sentNanos}: it acts for that
     * session from now on, and the successful read itself renews the lease.
     */
    public void adopt(long sessionId, long sentNanos) {
        if (sessionId == 0) {
            return;
        }
        adopted = sessionId;
        renew(sessionId, sentNanos);
    }

    private void beat() {
        long sent = System.nanoTime();
        long before = session();
        try {
            store.curator().checkExists().forPath(store.paths().view());
            long after = session();
            if (before != 0 && before == after) {
                renew(before, sent); // the request ran on this session: it was alive when the request arrived
            } else {
                current = after;
            }
        } catch (Exception e) {
            log.debug("lease heartbeat failed: {}", e.toString());
        }
        report();
    }

    private synchronized void renew(long sessionId, long sentNanos) {
        long granted = timeoutNanos;
        try {
            int negotiated = store.curator().getZookeeperClient().getZooKeeper().getSessionTimeout();
            if (negotiated > 0) {
                granted = Math.min(granted, TimeUnit.MILLISECONDS.toNanos(negotiated));
            }
        } catch (Exception e) {
            // keep the configured timeout
        }
        if (sessionId != current) {
            current = sessionId;
            expiresAt = sentNanos + granted;
        } else if (sentNanos + granted - expiresAt > 0) {
            expiresAt = sentNanos + granted;
        }
        report();
    }

    private synchronized void report() {
        boolean now = valid();
        if (now != lastValid) {
            lastValid = now;
            onChange.accept(now);
        }
    }

    @Override
    public void close() {
        heartbeat.shutdownNow();
    }
}
