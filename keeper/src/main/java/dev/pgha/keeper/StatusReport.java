package dev.pgha.keeper;

import dev.pgha.common.config.PghaConfig;
import dev.pgha.common.model.KeeperStatus;
import dev.pgha.common.model.MemberTags;
import dev.pgha.common.store.ClusterSnapshot;
import dev.pgha.common.store.Published;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * The status a keeper publishes, from what postgres reported and what the keeper knows, and what follows from the
 * last one: since when the member is unhealthy, and whether it serves clients as the leader. Made every heartbeat
 * by the keeper's loop and written to the store when {@link StatusRefresh} says so; {@link #last()} (the newest,
 * written or not) and {@link #serving()} are readable from any thread.
 */
final class StatusReport implements AutoCloseable {
    private final String memberId;
    private final String region;
    private final MemberTags configuredTags;
    private final Runnable onServing;
    private final Published<KeeperStatus> published;
    private final OperatorTags operatorTags = new OperatorTags();
    private Instant unhealthySince = Instant.now();
    private volatile KeeperStatus last; // the newest status, written or not (also while the store is unreachable)
    private StatusRefresh.Written written; // what was last written to the store (StatusRefresh)
    private volatile boolean serving;

    /** @param onServing runs each time the member starts serving as the leader */
    StatusReport(String memberId, PghaConfig config, Published<KeeperStatus> published, Runnable onServing) {
        this.memberId = memberId;
        this.region = config.region().orElse(null);
        this.configuredTags = config.tags();
        this.published = published;
        this.onServing = onServing;
    }

    /**
     * What the keeper adds to postgres's own report.
     *
     * @param healthy           fit to serve in its role
     * @param why               why not (or a notice while healthy)
     * @param appliedGeneration the view generation it has converged to
     * @param upstream          the member its standby configuration points at (null when none)
     * @param stoppedLsn        where the WAL of a postgres that is not up ends, when that is known (0 otherwise)
     * @param synchronousConfirmed a member of synchronous_standby_names has flushed past where the leader's WAL was
     *                          once postgres waited for that set
     * @param leaderWalEnd      standby: the furthest WAL position it knows the view's last leader had (0: unknown)
     * @param stopping          the daemon is stopping
     * @param hostsStoreLeader  this node runs the store ensemble's leader
     */
    record Facts(
            boolean healthy,
            String why,
            long appliedGeneration,
            String upstream,
            long stoppedLsn,
            boolean synchronousConfirmed,
            long leaderWalEnd,
            boolean stopping,
            boolean hostsStoreLeader) {}

    /**
     * Publishes what postgres reported ({@code state}; null when it is not up, or not to be asked) with {@code facts},
     * as seen after reading {@code seen} (its generation is the one postgres's answer is from after).
     */
    void publish(ClusterSnapshot seen, DataDirectory data, PgClient.PgState state, Facts facts) {
        if (facts.healthy()) {
            unhealthySince = null;
        } else if (unhealthySince == null) {
            unhealthySince = Instant.now();
        }
        boolean primary = state != null && !state.inRecovery();
        boolean was = serving;
        serving = facts.healthy() && primary;
        if (serving && !was) {
            onServing.run();
        }
        MemberTags tags =
                operatorTags.over(configuredTags, seen.spec().memberTags().get(memberId));
        KeeperStatus next =
                of(memberId, region, tags, data, state, facts, seen.view().generation(), unhealthySince);
        last = next;
        long nanos = System.nanoTime();
        if (StatusRefresh.due(written, next, seen.session(), nanos, seen.spec().failTimeout())) {
            published.publish(next);
            written = new StatusRefresh.Written(next, seen.session(), nanos);
        }
    }

    /** The newest status, whether or not it was written to the store (empty before the first). */
    Optional<KeeperStatus> last() {
        return Optional.ofNullable(last);
    }

    /** True while the local postgres is up, healthy and the primary: clients can be sent here. */
    boolean serving() {
        return serving;
    }

    /** Withdraws the status. */
    @Override
    public void close() {
        published.close();
    }

    private static KeeperStatus of(
            String memberId,
            String region,
            MemberTags tags,
            DataDirectory data,
            PgClient.PgState state,
            Facts facts,
            long generationSeen,
            Instant unhealthySince) {
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
                unhealthySince,
                pgUp && state.inRecovery() && state.walReceiverStreaming() ? facts.upstream() : null,
                primary ? state.streaming() : List.of(),
                primary ? SynchronousNames.parse(state.synchronousSetting()) : List.of(),
                pgUp && state.walSettled() ? generationSeen : 0,
                primary && facts.synchronousConfirmed(),
                primary ? 0 : facts.leaderWalEnd(),
                tags,
                facts.stopping(),
                facts.hostsStoreLeader());
    }
}
