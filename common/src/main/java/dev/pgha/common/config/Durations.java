package dev.pgha.common.config;

import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import java.time.Duration;

/** Durations as people write them in config files: 250ms, 2s, 5m, 1h. */
public final class Durations {
    private Durations() {}

    /** Parses "10s", "250ms", "1m" (HOCON's duration syntax); a positive duration or IllegalArgumentException. */
    public static Duration parse(String text) {
        try {
            Duration d = ConfigFactory.empty()
                    .withValue("d", ConfigValueFactory.fromAnyRef(text))
                    .getDuration("d");
            if (d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException("not a positive duration: " + text);
            }
            return d;
        } catch (ConfigException e) {
            throw new IllegalArgumentException("not a duration: " + text);
        }
    }

    public static String format(Duration d) {
        long ms = d.toMillis();
        if (ms % 3_600_000 == 0 && ms > 0) {
            return ms / 3_600_000 + "h";
        }
        if (ms % 60_000 == 0 && ms > 0) {
            return ms / 60_000 + "m";
        }
        if (ms % 1000 == 0) {
            return ms / 1000 + "s";
        }
        return ms + "ms";
    }
}
