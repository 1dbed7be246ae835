package dev.pgha.common.concurrent;

import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;

/**
 * The one thread that owns a component's mutable state. It runs the component's task periodically and whenever
 * {@link #trigger()} is called (a store watch fired); triggers that arrive while a run is queued collapse into
 * that run, and runs never overlap. A task that throws is reported and runs again next time — a plain scheduled
 * executor would silently cancel it.
 */
public final class OwnerLoop implements AutoCloseable {
    private final String name;
    private final Logger log;
    private final Runnable task;
    private final ScheduledExecutorService executor;
    private final AtomicBoolean queued = new AtomicBoolean();

    /**
     * @param name thread name, also used in the report of an unexpected failure
     * @param log  the owning component's logger
     */
    public OwnerLoop(String name, Logger log, Runnable task) {
        this.name = name;
        this.log = log;
        this.task = task;
        this.executor = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        });
    }

    /** Runs the task now and then every {@code period} after the previous run ends. */
    public void runEvery(Duration period) {
        executor.scheduleWithFixedDelay(this::runTask, 0, period.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Runs the task soon, once, however often this is called before it starts. */
    public void trigger() {
        if (queued.compareAndSet(false, true)) {
            execute(() -> {
                queued.set(false);
                runTask();
            });
        }
    }

    /** Triggers a run after {@code delay}; ignored once the loop is closing. */
    public void triggerAfter(Duration delay) {
        try {
            executor.schedule(this::trigger, delay.toMillis(), TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            // closing: nothing more runs
        }
    }

    /** Runs other work on the owner thread; ignored once the loop is closing. */
    public void execute(Runnable work) {
        try {
            executor.execute(work);
        } catch (RejectedExecutionException e) {
            // closing: nothing more runs
        }
    }

    private void runTask() {
        try {
            task.run();
        } catch (RuntimeException | Error e) {
            log.error("unexpected failure in the {} loop", name, e);
        }
    }

    /** Stops scheduling and waits up to {@code timeout} for a run in progress; true when it finished. */
    public boolean close(Duration timeout) {
        executor.shutdown();
        return Closeables.awaitTermination(executor, timeout);
    }

    @Override
    public void close() {
        close(Duration.ofSeconds(10));
    }
}
