package dev.pgha.app.daemon;

import dev.pgha.app.cli.Admin;
import dev.pgha.app.cli.CheckpointFirst;
import dev.pgha.common.PghaException;
import dev.pgha.common.config.Durations;
import dev.pgha.common.config.PghaConfig;
import dev.pgha.common.model.OperatorRequest;
import dev.pgha.common.request.LeaderRequest;
import dev.pgha.common.request.RequestTimeouts;
import dev.pgha.common.store.ClusterStore;
import dev.pgha.keeper.Keeper;
import dev.pgha.proxy.ProxyServer;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** How a daemon's life ends on its own terms: scale to zero, and a leader's handover before it stops. */
final class Lifetime {
    private static final Logger log = LoggerFactory.getLogger(Lifetime.class);

    private Lifetime() {}

    /**
     * Scale to zero: a single-node cluster whose proxy has had no client for {@code idle} stops itself (exit 0), so
     * the platform can stop the VM; any connection, even a short one between two looks, resets the clock. Returns
     * the watch to shut down, or null when off.
     */
    static ScheduledExecutorService watchForIdleness(Duration idle, ProxyServer proxy, Runnable stop) {
        if (idle.isZero()) {
            return null;
        }
        long every = Math.max(100, Math.min(10_000, idle.toMillis() / 4));
        ScheduledExecutorService watch = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "pgha-scale-to-zero");
            t.setDaemon(true);
            return t;
        });
        long[] seen = {proxy.counters().acceptedTotal()};
        Instant[] idleSince = {Instant.now()};
        watch.scheduleWithFixedDelay(
                () -> {
                    long accepted = proxy.counters().acceptedTotal();
                    if (accepted != seen[0] || proxy.clientConnections() > 0) {
                        seen[0] = accepted;
                        idleSince[0] = Instant.now();
                    } else if (!Instant.now().isBefore(idleSince[0].plus(idle))) {
                        log.info(
                                "no client connection for {} (lifecycle.scaleToZero): stopping; the next start resumes "
                                        + "as usual",
                                Durations.format(idle));
                        stop.run();
                    }
                },
                every,
                every,
                TimeUnit.MILLISECONDS);
        return watch;
    }

    /**
     * A leader asked to stop hands leadership to a synchronous standby first (a switchover: clean demote, no
     * acknowledged write lost, clients held for well under a second); then this node stops as a standby. Without a
     * synchronous standby in sync it just stops, and the cluster fails over.
     */
    static void handOverIfLeading(Keeper keeper, ClusterStore store, String memberId, PghaConfig config) {
        if (keeper == null || store == null || !memberId.equals(keeper.view().leader()) || !keeper.serving()) {
            return;
        }
        if (keeper.view().synchronousNames().isEmpty()) {
            if (keeper.snapshot().members().size() > 1) {
                log.warn("stopping the leader without a handover: no synchronous standby is in sync");
            }
            return;
        }
        Duration budget = config.lifecycle()
                .stopTimeout()
                .minus(config.postgres().stopTimeout())
                .minusSeconds(10);
        Duration limit = budget.compareTo(RequestTimeouts.COMMAND) > 0 ? RequestTimeouts.COMMAND : budget;
        log.info("handing leadership over before stopping (within {})", Durations.format(limit));
        long start = System.nanoTime();
        try (Admin admin = Admin.attached(config, store)) {
            CheckpointFirst.onLeader(admin).ifPresent(w -> log.warn("{}", w));
        }
        try {
            LeaderRequest.Outcome o = LeaderRequest.run(store, OperatorRequest.Kind.SWITCHOVER, null, limit);
            log.info(
                    "handed leadership over to {} in {} ms; stopping", o.to(), (System.nanoTime() - start) / 1_000_000);
        } catch (PghaException e) {
            log.warn("no handover ({}); stopping anyway, the cluster fails over", e.getMessage());
        }
    }
}
