package dev.pgha.sentinel;

import java.time.Duration;
import java.util.Map;
import java.util.Set;

/**
 * What the elected sentinel has itself seen of the keepers, measured on its own monotonic clock and never from a
 * time another node wrote, so that clock skew between nodes cannot fail a leader over. Its clocks start when this
 * sentinel is elected and again when its own store session comes back after expiring: what happened while it could
 * not look is held against nobody.
 *
 * @param silent        per keeper with a status: how long since this sentinel last saw it write a fresh one
 * @param unhealthy     per keeper whose fresh statuses say it is unhealthy: since when this sentinel has seen that
 * @param vanished      keepers whose status is gone although this sentinel saw it fresh on a live session (after the
 *                      store came back, once every older session had surely expired): lost sessions, at once
 * @param generationAge how long this sentinel has seen the current view generation stand
 * @param sinceReturn   how long since this sentinel's store session came back after expiring (every session was
 *                      replaced then, and statuses reappear one by one); null when it has not expired lately
 * @param primaryWalEnd per keeper this sentinel saw as primary: the furthest WAL position its statuses reported
 */
public record Liveness(
        Map<String, Duration> silent,
        Map<String, Duration> unhealthy,
        Set<String> vanished,
        Duration generationAge,
        Duration sinceReturn,
        Map<String, Long> primaryWalEnd) {

    public Liveness {
        silent = Map.copyOf(silent);
        unhealthy = Map.copyOf(unhealthy);
        vanished = Set.copyOf(vanished);
        primaryWalEnd = Map.copyOf(primaryWalEnd);
    }

    /** Nothing seen yet: a sentinel that has just been elected. */
    public static Liveness fresh() {
        return new Liveness(Map.of(), Map.of(), Set.of(), Duration.ZERO, null, Map.of());
    }

    /** As a sentinel that has seen only this: each keeper's silence and unhealthiness (tables in tests). */
    static Liveness of(Map<String, Duration> silent, Map<String, Duration> unhealthy, Duration sinceReturn) {
        return new Liveness(silent, unhealthy, Set.of(), Duration.ZERO, sinceReturn, Map.of());
    }

    /** As a sentinel that saw {@code member} as primary with its WAL at {@code lsn}, and nothing else. */
    static Liveness sawPrimaryAt(String member, long lsn) {
        return new Liveness(Map.of(), Map.of(), Set.of(), Duration.ZERO, null, Map.of(member, lsn));
    }

    /** The furthest WAL position this sentinel saw {@code memberId} report as primary; 0 when it saw none. */
    long primaryWalEnd(String memberId) {
        return primaryWalEnd.getOrDefault(memberId, 0L);
    }

    Duration silentFor(String memberId) {
        return silent.getOrDefault(memberId, Duration.ZERO);
    }

    Duration unhealthyFor(String memberId) {
        return unhealthy.getOrDefault(memberId, Duration.ZERO);
    }

    /**
     * A keeper without a status has lost its session, unless the store came back less than {@code grace} ago and it
     * has not been seen on a live session since: then it may not have republished yet.
     */
    boolean missingIsLost(String memberId, Duration grace) {
        return sinceReturn == null || sinceReturn.compareTo(grace) >= 0 || vanished.contains(memberId);
    }
}
