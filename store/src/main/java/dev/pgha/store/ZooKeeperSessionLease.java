package dev.pgha.store;

import dev.pgha.common.store.ClusterSnapshot;
import dev.pgha.common.store.SessionLease;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.apache.curator.framework.CuratorFramework;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link SessionLease} on a ZooKeeper session: a request that succeeded on the session renews the lease to one
 * session timeout (the smaller of the configured and the negotiated) from the moment it was sent; a heartbeat sends
 * one 8 times per timeout.
 */
final class ZooKeeperSessionLease implements SessionLease {
    private static final Logger log = LoggerFactory.getLogger(ZooKeeperSessionLease.class);

    private final CuratorFramework client;
    private final String probePath;
    private final long timeoutNanos;
    private final Duration interval;
    private final Consumer<Boolean> onChange;
    private final ScheduledExecutorService heartbeat;
    private volatile long adopted; // session id the owner acts for; 0 = none yet
    private volatile long current; // session id of the last successful heartbeat
    private long currentSince; // System.nanoTime() when the first request found the latest session (0 aside) was sent
    private boolean currentKnown; // currentSince is set
    private volatile long expiresAt; // System.nanoTime() at which the lease ends
    private volatile boolean lastValid;

    ZooKeeperSessionLease(
            CuratorFramework client, String probePath, Duration sessionTimeout, Consumer<Boolean> onChange) {
        this.client = client;
        this.probePath = probePath;
        this.timeoutNanos = sessionTimeout.toNanos();
        this.interval = Duration.ofMillis(Math.max(50, sessionTimeout.toMillis() / 8));
        this.onChange = onChange;
        this.heartbeat = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "session-lease");
            t.setDaemon(true);
            return t;
        });
    }

    ZooKeeperSessionLease start() {
        heartbeat.scheduleWithFixedDelay(this::beat, 0, interval.toMillis(), TimeUnit.MILLISECONDS);
        return this;
    }

    @Override
    public boolean valid() {
        long a = adopted;
        return a != 0 && a == current && System.nanoTime() - expiresAt < 0;
    }

    @Override
    public Duration remaining() {
        long left = expiresAt - System.nanoTime();
        return valid() && left > 0 ? Duration.ofNanos(left) : Duration.ZERO;
    }

    @Override
    public void adopt(ClusterSnapshot snapshot) {
        if (snapshot.session() == 0) {
            return;
        }
        adopted = snapshot.session();
        renew(snapshot.session(), snapshot.readStartNanos());
    }

    private void beat() {
        report(); // first: after a pause the lease may have run out, and the request below may take a while
        long sent = System.nanoTime();
        long before = ZooKeeperStore.session(client);
        try {
            client.checkExists().forPath(probePath);
            long after = ZooKeeperStore.session(client);
            if (before != 0 && before == after) {
                renew(before, sent); // the request ran on this session: it was alive when the request arrived
            } else {
                switchTo(after, sent); // the request may have run on either: renews nothing
            }
        } catch (Exception e) {
            log.debug("lease heartbeat failed: {}", e.toString());
        }
        report();
    }

    private synchronized void renew(long sessionId, long sentNanos) {
        long granted = timeoutNanos;
        try {
            int negotiated = client.getZookeeperClient().getZooKeeper().getSessionTimeout();
            if (negotiated > 0) {
                granted = Math.min(granted, TimeUnit.MILLISECONDS.toNanos(negotiated));
            }
        } catch (Exception e) {
            // keep the configured timeout
        }
        if (sessionId != current) {
            if (!switchTo(sessionId, sentNanos)) {
                return;
            }
            expiresAt = sentNanos + granted;
        } else if (sentNanos + granted - expiresAt > 0) {
            expiresAt = sentNanos + granted;
        }
        report();
    }

    /**
     * The client's session is {@code sessionId}, as a request sent at {@code sentNanos} found: false if that request
     * is older than the one that found the current session. The client replaces a session only once the old one has
     * expired, so a late answer from the old one (a snapshot read just before) must not take the lease back to it.
     */
    private synchronized boolean switchTo(long sessionId, long sentNanos) {
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
