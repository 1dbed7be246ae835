package dev.pgha.keeper;

import dev.pgha.common.model.ClusterView;
import java.time.Duration;
import java.time.Instant;

/**
 * Whether a standby is stuck: one that cannot follow the leader's timeline (it holds WAL the leader never had)
 * retries forever without an error we could catch, so a standby behind its leader whose received WAL position
 * stopped advancing for a while, or that keeps failing to start, is rewound. Owned by the keeper's loop.
 */
final class StandbyProgress {
    /** A standby that has not streamed from its leader for this long is rewound (it may hold WAL the leader lacks). */
    private static final Duration STUCK_AFTER = Duration.ofSeconds(20);
    /** A standby that failed to start this many times in a row is rewound (e.g. its WAL forked off the leader's). */
    private static final int START_ATTEMPTS = 3;

    private Instant stalledSince;
    private long lastReceivedLsn;

    /** Looks at the standby once per heartbeat; {@code leaderWrittenLsn} from the leader's latest status. */
    void track(ClusterView view, PgClient.PgState state, String upstream, long leaderWrittenLsn) {
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
