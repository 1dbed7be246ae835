package dev.pgha.common.health;

import java.time.Duration;

/**
 * One line of a health check, in Fly's format: {@code [✓] message (duration)} or {@code [✗] message (duration)}.
 * Health-check scripts and alerting parse these lines, so the shape stays stable.
 */
public record CheckResult(boolean passed, String message, Duration took) {
    public static final String PASS = "[✓]";
    public static final String FAIL = "[✗]";

    public String line() {
        return (passed ? PASS : FAIL) + " " + message + " (" + Formats.duration(took) + ")";
    }
}
