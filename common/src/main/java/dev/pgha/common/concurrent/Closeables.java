package dev.pgha.common.concurrent;

import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;

/** Shutdown helpers. */
public final class Closeables {
    private Closeables() {}

    /** Closes each, in order, ignoring failures: used while shutting down, when there is nobody left to tell. */
    public static void closeQuietly(AutoCloseable... closeables) {
        for (AutoCloseable c : closeables) {
            if (c == null) {
                continue;
            }
            try {
                c.close();
            } catch (Exception ignored) {
                // best effort during shutdown
            }
        }
    }

    /**
     * Waits up to {@code timeout} for an executor that was shut down to finish what it runs; true when it did. An
     * interrupt ends the wait (and is kept).
     */
    public static boolean awaitTermination(ExecutorService executor, Duration timeout) {
        try {
            return executor.awaitTermination(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
