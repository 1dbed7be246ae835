package dev.pgha.common.store;

import dev.pgha.common.PghaException;

/** The store could not be read or written (usually: ZooKeeper unreachable). Callers retry on their next tick. */
public final class StoreException extends PghaException {
    public StoreException(String message, Throwable cause) {
        super(message + ": " + describe(cause), cause);
    }

    private static String describe(Throwable t) {
        String m = t.getMessage();
        return m == null ? t.getClass().getSimpleName() : m;
    }
}
