package dev.pgha.keeper;

import dev.pgha.common.concurrent.Closeables;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Consumer;

/**
 * Runs the keeper's actions on their own thread ("keeper-action"), one at a time, so that the keeper's loop keeps
 * publishing a status while initdb, a clone, a rewind or a start takes its time: the sentinel sees what is happening
 * (and the real cause of a leader's trouble), and /liveness stays green. Only the loop submits and collects.
 */
final class ActionRunner implements AutoCloseable {
    /** Work that reports how far it got in words ("cloning member b: 1.20 GB of 4.00 GB (30%)"). */
    @FunctionalInterface
    interface Action {
        void run(Consumer<String> progress);
    }

    private final ExecutorService worker;
    private final Runnable onDone;
    private volatile boolean active; // submitted and not ended: cleared before onDone runs
    private boolean uncollected; // loop thread only
    private volatile String progress;
    private volatile RuntimeException failure;

    /** @param onDone called on the action thread when an action ends (the loop collects it at once) */
    ActionRunner(Runnable onDone) {
        this.onDone = onDone;
        this.worker = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "keeper-action");
            t.setDaemon(true);
            return t;
        });
    }

    /** An action was submitted and has not ended yet. */
    boolean busy() {
        return active;
    }

    /** What the running action is doing, in words. */
    String progress() {
        return progress;
    }

    /** Starts {@code action}, described as {@code description} until it reports progress itself. */
    void submit(String description, Action action) {
        if (busy()) {
            throw new IllegalStateException("an action is running already: " + progress);
        }
        progress = description;
        failure = null;
        active = true;
        uncollected = true;
        worker.execute(() -> {
            try {
                action.run(p -> progress = p);
            } catch (RuntimeException | Error e) {
                failure = e instanceof RuntimeException r ? r : new IllegalStateException(e);
            } finally {
                active = false;
                onDone.run();
            }
        });
    }

    /** An action ended and has not been collected yet. */
    boolean ended() {
        return !active && uncollected;
    }

    /** After an action ended: how it failed, or null when it succeeded (or was collected before). */
    RuntimeException collect() {
        if (active || !uncollected) {
            return null;
        }
        uncollected = false;
        RuntimeException f = failure;
        failure = null;
        return f;
    }

    /** Interrupts a running action (its tools are stopped) and waits up to {@code timeout} for it to end. */
    boolean close(Duration timeout) {
        worker.shutdownNow();
        return Closeables.awaitTermination(worker, timeout);
    }

    @Override
    public void close() {
        close(Duration.ofSeconds(10));
    }
}
