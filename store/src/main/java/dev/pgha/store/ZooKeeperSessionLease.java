package dev.pgha.store;

import dev.pgha.common.store.ClusterSnapshot;
import dev.pgha.common.store.SessionLease;
import java.time.Duration;
import java.util.function.Consumer;

/**
 * {@link SessionLease} of one owner (a member's keeper, its proxy) on the store's ZooKeeper session: it holds while
 * the session the owner adopted is the {@link SessionClock}'s current one and has certainly not expired. The clock,
 * and its heartbeat, is the store connection's; the adopted session and the callback are the owner's.
 */
final class ZooKeeperSessionLease implements SessionLease {
    private final SessionClock clock;
    private final Consumer<Boolean> onChange;
    private volatile long adopted; // session id the owner acts for; 0 = none yet
    private boolean lastValid; // guarded by this

    ZooKeeperSessionLease(SessionClock clock, Consumer<Boolean> onChange) {
        this.clock = clock;
        this.onChange = onChange;
    }

    @Override
    public boolean valid() {
        return clock.holds(adopted);
    }

    @Override
    public Duration remaining() {
        return clock.remaining(adopted);
    }

    @Override
    public void adopt(ClusterSnapshot snapshot) {
        if (snapshot.session() == 0) {
            return;
        }
        adopted = snapshot.session();
        clock.renew(snapshot.session(), snapshot.readStartNanos()); // the read itself: it succeeded on the session
        report(); // the clock reports renewals; adopting another session changes this lease's validity alone
    }

    /** Calls the owner back when {@link #valid} changed since the last call. */
    synchronized void report() {
        boolean now = valid();
        if (now != lastValid) {
            lastValid = now;
            onChange.accept(now);
        }
    }

    @Override
    public void close() {
        clock.forget(this);
    }
}
