package dev.pgha.sentinel;

import java.time.Duration;
import java.util.Map;

/**
 * What the elected sentinel has itself seen of the keepers, measured on its own monotonic clock and never from a
 * time another node wrote, so that clock skew between nodes cannot fail a leader over. Its clocks start when this
 * sentinel is elected and again when its own store session comes back after expiring: what happened while it could
 * not look is held against nobody.
 *
 * @param silent        per keeper with a status: how long since this sentinel last saw it write a fresh one
 * @param unhealthy     per keeper whose fresh statuses say it is unhealthy: since when this sentinel has seen that
 * @param generationAge how long this sentinel has seen the current view generation stand
 * @param sinceReturn   how long since this sentinel's store session came back after expiring (every session was
 *                      replaced then, and statuses reappear one by one); null when it has not expired lately
 */
public record Liveness(
        Map<String, Duration> silent, Map<String, Duration> unhealthy, Duration generationAge, Duration sinceReturn) {

    public Liveness {
        silent = Map.copyOf(silent);
        unhealthy = Map.copyOf(unhealthy);
    }

    /** Nothing seen yet: a sentinel that has just been elected. */
    public static Liveness fresh() {
        return new Liveness(Map.of(), Map.of(), Duration.ZERO, null);
    }

    Duration silentFor(String memberId) {
        return silent.getOrDefault(memberId, Duration.ZERO);
    }

    Duration unhealthyFor(String memberId) {
        return unhealthy.getOrDefault(memberId, Duration.ZERO);
    }

    /**
     * A keeper without a status has lost its session, unless the store came back less than {@code grace} ago: then
     * it may not have republished yet.
     */
    boolean missingIsLost(Duration grace) {
        return sinceReturn == null || sinceReturn.compareTo(grace) >= 0;
    }
}
