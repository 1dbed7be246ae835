package dev.pgha.keeper;

import dev.pgha.common.model.KeeperStatus;
import dev.pgha.common.model.MemberTags;
import java.time.Instant;
import java.util.List;

/** The status a keeper publishes, from what postgres reported and what the keeper knows. */
final class StatusReport {
    private StatusReport() {}

    /**
     * What the keeper adds to postgres's own report.
     *
     * @param healthy           fit to serve in its role
     * @param why               why not (or a notice while healthy)
     * @param appliedGeneration the view generation it has converged to
     * @param unhealthySince    when it last turned unhealthy (null while healthy)
     * @param upstream          the member its standby configuration points at (null when none)
     * @param stoppedLsn        where the WAL of a postgres that is not up ends, when that is known (0 otherwise)
     * @param generationSeen    the view generation read before postgres was asked (so its answer is from after)
     * @param synchronousConfirmed a member of synchronous_standby_names has flushed past where the leader's WAL was
     *                          once postgres waited for that set
     * @param leaderWalEnd      standby: the furthest WAL position it knows the view's last leader had (0: unknown)
     */
    record Facts(
            boolean healthy,
            String why,
            long appliedGeneration,
            Instant unhealthySince,
            String upstream,
            long stoppedLsn,
            long generationSeen,
            boolean synchronousConfirmed,
            long leaderWalEnd,
            boolean stopping) {}

    /** {@code state}: what postgres reported, null when it is not up (or not to be asked). */
    static KeeperStatus of(
            String memberId, String region, MemberTags tags, DataDirectory data, PgClient.PgState state, Facts facts) {
        boolean pgUp = state != null;
        boolean primary = pgUp && !state.inRecovery();
        return new KeeperStatus(
                memberId,
                region,
                data.initialized(),
                data.systemIdentifier().orElse(0),
                pgUp,
                PgClient.roleOf(state),
                pgUp ? state.timeline() : 0,
                pgUp ? state.writtenLsn() : facts.stoppedLsn(),
                pgUp ? state.receivedLsn() : 0,
                pgUp ? state.replayedLsn() : 0,
                facts.healthy(),
                facts.why(),
                facts.appliedGeneration(),
                Instant.now(),
                facts.unhealthySince(),
                pgUp && state.inRecovery() && state.walReceiverStreaming() ? facts.upstream() : null,
                primary ? state.streaming() : List.of(),
                primary ? SynchronousNames.parse(state.synchronousSetting()) : List.of(),
                pgUp && state.walSettled() ? facts.generationSeen() : 0,
                primary && facts.synchronousConfirmed(),
                primary ? 0 : facts.leaderWalEnd(),
                tags,
                facts.stopping());
    }
}
