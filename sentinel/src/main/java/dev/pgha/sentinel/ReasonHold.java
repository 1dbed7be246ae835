package dev.pgha.sentinel;

import dev.pgha.common.model.ClusterView;
import java.time.Duration;

/**
 * When a view that differs from the stored one only in what it shows (its reason, and the standbys following the
 * leader, which only status reads) is written. Every write of the view wakes every keeper and proxy, each of which
 * reads the whole cluster again; in a leader change the reason changes two or three times in a few hundred
 * milliseconds ("waiting for the proxies …", "waiting for leader … to shut down cleanly", "… to report where its WAL
 * ends"), and those wake-ups took the machine's cores while the keepers that had to act next waited for them. So such
 * a change is written no sooner than {@link #HOLD} after the sentinel's last write of the view: a step that passes
 * sooner is never written (the sentinel's log still says it at once), one that lasts is shown by {@code pgha status}
 * at most {@link #HOLD} late. Anything else (generation, leader, phase, cause, synchronous standbys) is written at
 * once. Decisions read types, never the reason; and no keeper waits for such a write to wake it: one whose report a
 * step waits for reports on its own ({@code KeeperPlanner.reportsAgainSoon}, the failover's final positions).
 */
final class ReasonHold {
    static final Duration HOLD = Duration.ofMillis(500);

    private long lastWrite; // System.nanoTime() of the last write; meaningful once written is true
    private boolean written;

    /**
     * How long {@code next} must wait before it replaces {@code stored} (zero: write it now), {@code now} being
     * System.nanoTime().
     */
    Duration holdFor(ClusterView stored, ClusterView next, long now) {
        if (stored == null || !written || !shownOnly(stored, next)) {
            return Duration.ZERO;
        }
        long left = HOLD.toNanos() - (now - lastWrite);
        return left > 0 ? Duration.ofNanos(left) : Duration.ZERO;
    }

    /** The sentinel wrote the view at {@code now}. */
    void written(long now) {
        lastWrite = now;
        written = true;
    }

    /** Another sentinel may have written since: the next change is written at once. */
    void forget() {
        written = false;
    }

    static boolean shownOnly(ClusterView stored, ClusterView next) {
        return stored.cause() == next.cause()
                && !stored.equals(next)
                && next.withReason(stored.cause(), stored.reason())
                        .withStandbys(stored.standbys())
                        .equals(stored);
    }
}
