package dev.pgha.sentinel;

import dev.pgha.common.model.KeeperStatus;
import dev.pgha.common.model.Role;
import dev.pgha.common.store.ClusterSnapshot;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;

/**
 * The elected sentinel's record of when it saw each keeper write a fresh status (one whose stamp differs from the
 * last it saw; a status republished unchanged by a new store session is not fresh) and since when it has seen it
 * unhealthy, on the monotonic clock, and how far each primary's WAL went; {@link #observe} turns it into the planner's
 * {@link Liveness}. Owned by the sentinel thread.
 */
final class KeeperObservations {
    private record Seen(Instant stamp, long freshAt, long unhealthyFrom) {}

    private static final long NEVER = Long.MIN_VALUE;

    private final Map<String, Seen> seen = new HashMap<>();
    private final Map<String, Long> primaryWalEnd = new HashMap<>();
    private final long settleNanos;
    private long generation = -1;
    private long generationSince;
    private long returnedAt = NEVER;
    private boolean started;

    /**
     * @param settle how long after this sentinel's session came back every session from before has surely expired
     *               too (the store's session timeout, with a margin): a status seen fresh after that is on a live
     *               session, so its disappearance is a lost session again
     */
    KeeperObservations(Duration settle) {
        this.settleNanos = settle.toNanos();
    }

    /** Forgets everything: the next {@link #observe} starts every clock (this sentinel was elected, or resigned). */
    void restart() {
        started = false;
    }

    /** This sentinel's session expired and a new one exists: statuses reappear one by one from {@code nanos} on. */
    void storeReturned(long nanos) {
        returnedAt = nanos;
        started = false;
    }

    Liveness observe(ClusterSnapshot s, long nanos) {
        if (!started) {
            seen.clear();
            primaryWalEnd.clear();
            generation = -1;
            started = true;
        }
        if (s.view().generation() != generation) {
            generation = s.view().generation();
            generationSince = nanos;
        }
        Map<String, Duration> silent = new HashMap<>();
        Map<String, Duration> unhealthy = new HashMap<>();
        java.util.Set<String> vanished = new java.util.TreeSet<>();
        seen.forEach((id, last) -> {
            boolean onLiveSession = returnedAt == NEVER || last.freshAt() - (returnedAt + settleNanos) >= 0;
            if (!s.keepers().containsKey(id) && onLiveSession) {
                vanished.add(id);
            }
        });
        for (KeeperStatus k : s.keepers().values()) {
            Seen before = seen.get(k.memberId());
            Seen now = before;
            if (before == null || !Objects.equals(before.stamp(), k.updatedAt())) {
                long from = k.healthy()
                        ? NEVER
                        : before != null && before.unhealthyFrom() != NEVER ? before.unhealthyFrom() : nanos;
                now = new Seen(k.updatedAt(), nanos, from);
                seen.put(k.memberId(), now);
            }
            if (k.role() == Role.PRIMARY) {
                primaryWalEnd.merge(k.memberId(), k.writtenLsn(), Math::max);
            }
            silent.put(k.memberId(), Duration.ofNanos(nanos - now.freshAt()));
            if (now.unhealthyFrom() != NEVER) {
                unhealthy.put(k.memberId(), Duration.ofNanos(nanos - now.unhealthyFrom()));
            }
        }
        return new Liveness(
                silent,
                unhealthy,
                vanished,
                Duration.ofNanos(nanos - generationSince),
                returnedAt == NEVER ? null : Duration.ofNanos(nanos - returnedAt),
                primaryWalEnd);
    }
}
