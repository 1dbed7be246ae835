package dev.pgha.common.config;

import dev.pgha.common.PghaException;

/** A configuration value is wrong; the message names the key, where it came from, the value and what is allowed. */
public final class InvalidConfigException extends PghaException {
    public InvalidConfigException(String message) {
        super(message);
    }
}
