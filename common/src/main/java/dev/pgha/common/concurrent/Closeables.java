package dev.pgha.common.concurrent;

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
}
