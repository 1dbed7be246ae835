package dev.pgha.store;

import java.time.Duration;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArraySet;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.apache.curator.framework.CuratorFramework;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How long the store's ZooKeeper session certainly lives: a request that succeeded on the session renews it to one
 * session timeout (the smaller of the configured and the negotiated) from the moment it was sent; a heartbeat sends
 * one 8 times per timeout. One per store connection, shared by every {@link ZooKeeperSessionLease} on it (a member's
 * keeper and proxy): the session is the connection's, only which session an owner acts for is the owner's. A
 * heartbeat per lease had sent each member's session twice the requests, on two threads.
 */
final class SessionClock implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(SessionClock.class);
    static final String THREAD_NAME = "session-lease";

    private final CuratorFramework client;
    private final String probePath;
    private final long timeoutNanos;
    private final Duration interval;
    private final Set<ZooKeeperSessionLease> leases = new CopyOnWriteArraySet<>();
    private ScheduledExecutorService heartbeat; // started with the first lease; guarded by this
    private boolean closed; // guarded by this
    private volatile long current; // session id of the last request that found one (0: none connected)
    private long currentSince; // System.nanoTime() when the first request found the latest session (0 aside) was sent
    private boolean currentKnown; // currentSince is set
    private volatile long expiresAt; // System.nanoTime() at which the current session may have expired

    SessionClock(CuratorFramework client, String probePath, Duration sessionTimeout) {
        this.client = client;
        this.probePath = probePath;
        this.timeoutNanos = sessionTimeout.toNanos();
        this.interval = Duration.ofMillis(Math.max(50, sessionTimeout.toMillis() / 8));
    }

    /** A lease on this clock, its heartbeat started if it was not (on a closed store, one that never holds). */
    ZooKeeperSessionLease lease(Consumer<Boolean> onChange) {
        ZooKeeperSessionLease lease = new ZooKeeperSessionLease(this, onChange);
        synchronized (this) {
            if (closed) {
                return lease;
            }
            leases.add(lease);
            if (heartbeat == null) {
                heartbeat = Executors.newSingleThreadScheduledExecutor(r -> {
                    Thread t = new Thread(r, THREAD_NAME);
                    t.setDaemon(true);
                    return t;
                });
                heartbeat.scheduleWithFixedDelay(this::beat, 0, interval.toMillis(), TimeUnit.MILLISECONDS);
            }
        }
        return lease;
    }

    /** True while session {@code sessionId} (non-zero) is the current one and certainly has not expired. */
    boolean holds(long sessionId) {
        return sessionId != 0 && sessionId == current && System.nanoTime() - expiresAt < 0;
    }

    /** How long session {@code sessionId} certainly lives on (zero when {@link #holds} is false). */
    Duration remaining(long sessionId) {
        long left = expiresAt - System.nanoTime();
        return holds(sessionId) && left > 0 ? Duration.ofNanos(left) : Duration.ZERO;
    }

    void forget(ZooKeeperSessionLease lease) {
        leases.remove(lease);
    }

    private void beat() {
        report(); // first: after a pause the leases may have run out, and the request below may take a while
        long sent = System.nanoTime();
        long before = ZooKeeperStore.session(client);
        try {
            client.checkExists().forPath(probePath);
            long after = ZooKeeperStore.session(client);
            if (before != 0 && before == after) {
                renew(before, sent); // the request ran on this session: it was alive when the request arrived
            } else {
                synchronized (this) {
                    switchTo(after, sent); // the request may have run on either: renews nothing
                }
            }
        } catch (Exception e) {
            log.debug("lease heartbeat failed: {}", e.toString());
        }
        report();
    }

    /** A request sent at {@code sentNanos} succeeded on session {@code sessionId}. */
    void renew(long sessionId, long sentNanos) {
        long granted = timeoutNanos;
        try {
            int negotiated = client.getZookeeperClient().getZooKeeper().getSessionTimeout();
            if (negotiated > 0) {
                granted = Math.min(granted, TimeUnit.MILLISECONDS.toNanos(negotiated));
            }
        } catch (Exception e) {
            // keep the configured timeout
        }
        synchronized (this) {
            if (sessionId != current) {
                if (!switchTo(sessionId, sentNanos)) {
                    return;
                }
                expiresAt = sentNanos + granted;
            } else if (sentNanos + granted - expiresAt > 0) {
                expiresAt = sentNanos + granted;
            }
        }
        report();
    }

    /**
     * The client's session is {@code sessionId}, as a request sent at {@code sentNanos} found: false if that request
     * is older than the one that found the current session. The client replaces a session only once the old one has
     * expired, so a late answer from the old one (a snapshot read just before) must not take the clock back to it.
     */
    private boolean switchTo(long sessionId, long sentNanos) {
        if (sessionId == current) {
            return true;
        }
        if (sessionId != 0 && currentKnown && sentNanos - currentSince < 0) {
            return false;
        }
        current = sessionId;
        if (sessionId != 0) {
            currentSince = sentNanos;
            currentKnown = true;
        }
        return true;
    }

    /** Tells every lease whose validity changed (outside this clock's lock: an owner's callback may read it). */
    private void report() {
        for (ZooKeeperSessionLease lease : leases) {
            lease.report();
        }
    }

    /** With the store's connection: no session holds any more, and the heartbeat stops. */
    @Override
    public void close() {
        synchronized (this) {
            closed = true;
            current = 0;
            if (heartbeat != null) {
                heartbeat.shutdownNow();
            }
        }
        leases.clear();
    }
}
