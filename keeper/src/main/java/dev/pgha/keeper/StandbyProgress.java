package dev.pgha.keeper;

import dev.pgha.common.model.ClusterView;
import dev.pgha.common.model.KeeperStatus;
import dev.pgha.common.store.ClusterSnapshot;
import java.time.Duration;
import java.time.Instant;

/**
 * Whether a standby is stuck: one that cannot follow the leader's timeline (it holds WAL the leader never had)
 * retries forever without an error we could catch, so a standby behind its leader whose received WAL position
 * stopped advancing for a while, or that keeps failing to start, is rewound. Also how far this standby knows the
 * leader's WAL went, kept through a failover (when the leader's own status is gone) for the sentinel's lag limit.
 * Owned by the keeper's loop.
 */
final class StandbyProgress {
    /** A standby that has not streamed from its leader for this long is rewound (it may hold WAL the leader lacks). */
    private static final Duration STUCK_AFTER = Duration.ofSeconds(20);
    /** A standby that failed to start this many times in a row is rewound (e.g. its WAL forked off the leader's). */
    private static final int START_ATTEMPTS = 3;

    private Instant stalledSince;
    private long lastReceivedLsn;
    private String walEndOf;
    private long leaderWalEnd;

    /** Looks at the standby once per heartbeat: at what postgres reported, and at its upstream's latest status. */
    void track(ClusterSnapshot s, PgClient.PgState state, String upstream) {
        ClusterView view = s.view();
        long leaderWrittenLsn = upstream == null
                ? 0
                : s.keeper(upstream).map(KeeperStatus::writtenLsn).orElse(0L);
        if (view.leader() != null && !view.leader().equals(walEndOf)) {
            walEndOf = view.leader(); // a new leader: what the last one had says nothing about it
            leaderWalEnd = 0;
        }
        if (state != null && state.inRecovery() && upstream != null && upstream.equals(walEndOf)) {
            leaderWalEnd = Math.max(leaderWalEnd, Math.max(leaderWrittenLsn, state.upstreamWalEnd()));
        }
        if (state == null || !state.inRecovery() || upstream == null || !upstream.equals(view.leader())) {
            stalledSince = null;
            return;
        }
        if (state.receivedLsn() >= leaderWrittenLsn || state.receivedLsn() > lastReceivedLsn) {
            stalledSince = null;
        } else if (stalledSince == null) {
            stalledSince = Instant.now();
        }
        lastReceivedLsn = state.receivedLsn();
    }

    /**
     * The furthest WAL position this standby knows the view's leader had (during a failover: the lost leader), from
     * its WAL sender's last word or its last status; 0 when unknown.
     */
    long leaderWalEnd() {
        return leaderWalEnd;
    }

    /** Forgets a stall: the standby was started or pointed at a leader just now. */
    void reset() {
        stalledSince = null;
    }

    boolean stuck(LocalPostgres postgres) {
        return stalledSince != null
                        && Duration.between(stalledSince, Instant.now()).compareTo(STUCK_AFTER) > 0
                || postgres.upstream() != null
                        && !postgres.running()
                        && postgres.consecutiveFailures() >= START_ATTEMPTS;
    }
}
