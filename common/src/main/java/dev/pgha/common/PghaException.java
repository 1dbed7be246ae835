package dev.pgha.common;

/**
 * An expected failure a user can act on: the message is one line that names the cause and the fix, and is printed
 * as is (no stack trace). Never put a secret in the message.
 */
public class PghaException extends RuntimeException {
    public PghaException(String message) {
        super(message);
    }

    public PghaException(String message, Throwable cause) {
        super(message, cause);
    }
}
