package dev.pgha.keeper;

import dev.pgha.common.PghaException;
import dev.pgha.common.config.PghaConfig;
import dev.pgha.common.model.Role;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * cluster.callbacks: is told what every look of the keeper at its postgres found, in order (a sample of the keeper's
 * published status missed a postgres that stopped and started again in between, e.g. a switchover's demote and restart
 * as a replica), and runs the operator's executables for on_start, on_stop and on_role_change, one at a time and in order, on
 * the "callback" thread, so no failover, promotion or fencing waits for one. Each runs as postgres's OS user (or
 * cluster.callbacks.user) with a clean environment, its output relayed to the log under [callback], and is killed
 * with what it started once cluster.callbacks.timeout has passed.
 */
public final class RoleCallbacks implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger("callback");
    /** Events waiting while one runs; more are dropped with a warning (a callback that keeps hanging). */
    static final int QUEUE = 64;
    /** Lines of one run's output that reach the log. */
    static final int LOGGED_LINES = 100;
    /** At shutdown the last on_stop gets at most this long. */
    private static final Duration LAST_RUN = Duration.ofSeconds(10);

    private final PghaConfig.Callbacks settings;
    private final String cluster;
    private final String memberId;
    private final PostgresOsUser user;
    private final ThreadPoolExecutor runner;
    private RoleEvents.Seen seen = RoleEvents.Seen.NOTHING; // guarded by this

    public RoleCallbacks(PghaConfig config, String memberId) {
        this.settings = config.cluster().callbacks();
        this.cluster = config.clusterName();
        this.memberId = memberId;
        this.user =
                PostgresOsUser.detect(settings.user().orElse(config.postgres().osUser()));
        this.runner = new ThreadPoolExecutor(1, 1, 0, TimeUnit.SECONDS, new ArrayBlockingQueue<>(QUEUE), r -> {
            Thread t = new Thread(r, "callback");
            t.setDaemon(true);
            return t;
        });
        this.runner.setRejectedExecutionHandler(
                (r, e) -> log.warn("a callback is still running and {} more wait: this event is dropped", QUEUE));
    }

    /**
     * What the keeper's latest look at postgres found: running in {@code role}, or not running (called on the keeper's
     * thread: this only queues what is to run).
     */
    public synchronized void observe(boolean up, Role role) {
        RoleEvents.Step step = RoleEvents.step(seen, up, role);
        seen = step.seen();
        step.fired().forEach(this::submit);
    }

    private void submit(RoleEvents.Fired fired) {
        script(fired.event()).ifPresent(path -> runner.execute(() -> run(path, fired)));
    }

    private Optional<Path> script(RoleEvents.Event event) {
        return switch (event) {
            case ON_START -> settings.onStart();
            case ON_STOP -> settings.onStop();
            case ON_ROLE_CHANGE -> settings.onRoleChange();
        };
    }

    private void run(Path path, RoleEvents.Fired fired) {
        String event = fired.event().word;
        String role = fired.roleWord();
        List<String> command = new ArrayList<>(List.of(path.toString(), event, role, cluster, memberId));
        AtomicInteger lines = new AtomicInteger();
        long started = System.nanoTime();
        log.info("{} {}: running {}", event, role, path);
        try {
            ProcessRunner.Result r = ProcessRunner.run(
                    user.wrap(command),
                    Map.of("PGHA_EVENT", event, "PGHA_ROLE", role, "PGHA_CLUSTER", cluster, "PGHA_MEMBER", memberId),
                    settings.timeout(),
                    line -> {
                        int n = lines.incrementAndGet();
                        if (n <= LOGGED_LINES) {
                            log.info("{}: {}", event, RelayedLine.clean(line));
                        } else if (n == LOGGED_LINES + 1) {
                            log.info("{}: … (more output not logged)", event);
                        }
                    });
            long ms = (System.nanoTime() - started) / 1_000_000;
            if (r.ok()) {
                log.info("{} {}: {} exited 0 after {} ms", event, role, path, ms);
            } else {
                log.warn("{} {}: {} exited {} after {} ms", event, role, path, r.exitCode(), ms);
            }
        } catch (PghaException e) {
            log.warn("{} {}: {}: killed with what it started ({})", event, role, path, e.getMessage());
        }
    }

    /**
     * Stops watching; an on_stop for a postgres last seen running (the keeper has stopped it by now) runs before the
     * callbacks end, for at most {@link #LAST_RUN} beyond the one running.
     */
    @Override
    public void close() {
        synchronized (this) {
            if (seen.up()) {
                submit(new RoleEvents.Fired(RoleEvents.Event.ON_STOP, seen.lastRole()));
            }
        }
        runner.shutdown();
        try {
            Duration wait = settings.timeout().compareTo(LAST_RUN) < 0 ? settings.timeout() : LAST_RUN;
            if (!runner.awaitTermination(wait.toMillis(), TimeUnit.MILLISECONDS)) {
                runner.shutdownNow(); // interrupts the run: its process and what it started are killed
                runner.awaitTermination(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            runner.shutdownNow();
            Thread.currentThread().interrupt();
        }
    }
}
