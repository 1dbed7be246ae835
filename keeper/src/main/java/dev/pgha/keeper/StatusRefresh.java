package dev.pgha.keeper;

import dev.pgha.common.model.KeeperStatus;
import java.time.Duration;

/**
 * Whether the keeper writes the status it has just made to the store. Every write is a ZooKeeper transaction (a
 * quorum's fsync) that wakes each member's watch on the keepers and the elected sentinel's evaluation, and an idle
 * member's status changes only in its time: at the 500 ms heartbeat that was two writes a second per member for
 * nothing. So a status that says something new is written at once; one that differs from the last written only in
 * {@link KeeperStatus#updatedAt()} is written again once {@link #intervalNanos} has passed, which is what the sentinel
 * needs: it fails a leader over whose status it has not seen rewritten for {@code cluster.failTimeout}. A status is
 * also written at once on a new store session: the store put the last one back, stamped before, and the sentinel counts
 * a status as fresh only when its stamp moves. Pure; the keeper's loop keeps the {@link Written} record.
 */
final class StatusRefresh {
    /** The longest an unchanged status goes without being written again. */
    static final Duration MOST = Duration.ofSeconds(2);

    /**
     * The status last written, the store session it was read on (the snapshot's) and when, on the monotonic clock: a
     * wall clock set back must not hold the next write back.
     */
    record Written(KeeperStatus status, long session, long atNanos) {}

    private StatusRefresh() {}

    /**
     * @param last        the status last written (null: none yet)
     * @param next        the status just made
     * @param session     the store session of the snapshot {@code next} was made after (0: unknown)
     * @param nanos       now, on the monotonic clock
     * @param failTimeout cluster.failTimeout, as the snapshot's spec says
     */
    static boolean due(Written last, KeeperStatus next, long session, long nanos, Duration failTimeout) {
        return last == null
                || session == 0
                || session != last.session()
                || !next.withUpdatedAt(last.status().updatedAt()).equals(last.status())
                || nanos - last.atNanos() >= intervalNanos(failTimeout);
    }

    /**
     * An unchanged status is written again this often: {@link #MOST}, or a fifth of the fail timeout if shorter. In
     * nanoseconds: asked at most idle heartbeats, and Duration's division goes through BigDecimal.
     */
    static long intervalNanos(Duration failTimeout) {
        return Math.min(MOST.toNanos(), failTimeout.toNanos() / 5);
    }
}
