package dev.pgha.sentinel;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pgha.common.model.ClusterSpec;
import dev.pgha.common.model.ClusterView;
import dev.pgha.common.model.KeeperStatus;
import dev.pgha.common.model.Phase;
import dev.pgha.common.model.Statuses;
import dev.pgha.common.store.ClusterSnapshot;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The sentinel's own clocks: what counts as a fresh status, and when they start again. */
class KeeperObservationsTest {
    private static final long S = 1_000_000_000L;
    private static final Instant STAMP = Instant.parse("2026-11-29T10:00:00Z");

    private static KeeperStatus status(String id, Instant stamp, boolean healthy) {
        return (healthy ? Statuses.primary(id, 100) : Statuses.primary(id, 100).unhealthy("sick"))
                .applied(5)
                .at(stamp)
                .unhealthySince(healthy ? null : stamp.minusSeconds(3600))
                .build();
    }

    private static ClusterSnapshot snapshot(long generation, KeeperStatus... statuses) {
        ClusterView view =
                new ClusterView(generation, "a", List.of(), List.of(), List.of(), Phase.NORMAL, null, "r", null, null);
        Map<String, KeeperStatus> keepers = new java.util.TreeMap<>();
        for (KeeperStatus k : statuses) {
            keepers.put(k.memberId(), k);
        }
        return Plans.snapshot(view, keepers, Map.of(), Set.of("a", "b"), ClusterSpec.of(null));
    }

    @Test
    void silenceCountsFromTheLastStatusWithANewStampAndARepublishedOneIsNotFresh() {
        KeeperObservations o = new KeeperObservations(Duration.ofSeconds(3));
        assertThat(o.observe(snapshot(5, status("a", STAMP, true)), 0).silentFor("a"))
                .isZero();
        // the same status read again 4 s later (or republished unchanged by a new session): silent for 4 s
        assertThat(o.observe(snapshot(5, status("a", STAMP, true)), 4 * S).silentFor("a"))
                .isEqualTo(Duration.ofSeconds(4));
        // a new stamp, whatever its value (here from a clock an hour behind): fresh
        assertThat(o.observe(snapshot(5, status("a", STAMP.minusSeconds(3600), true)), 5 * S)
                        .silentFor("a"))
                .isZero();
        // gone and back with its old status: still counting from the last fresh one
        o.observe(snapshot(5), 6 * S);
        assertThat(o.observe(snapshot(5, status("a", STAMP.minusSeconds(3600), true)), 7 * S)
                        .silentFor("a"))
                .isEqualTo(Duration.ofSeconds(2));
    }

    @Test
    void unhealthinessCountsFromWhenThisSentinelFirstSawItAndEndsWithAHealthyStatus() {
        KeeperObservations o = new KeeperObservations(Duration.ofSeconds(3));
        o.observe(snapshot(5, status("a", STAMP, false)), 10 * S);
        Liveness l = o.observe(snapshot(5, status("a", STAMP.plusSeconds(1), false)), 13 * S);
        assertThat(l.unhealthyFor("a")).isEqualTo(Duration.ofSeconds(3)); // not the hour its keeper claims
        assertThat(o.observe(snapshot(5, status("a", STAMP.plusSeconds(2), true)), 14 * S)
                        .unhealthyFor("a"))
                .isZero();
        assertThat(o.observe(snapshot(5, status("a", STAMP.plusSeconds(3), false)), 15 * S)
                        .unhealthyFor("a"))
                .isZero();
    }

    @Test
    void afterTheStoreReturnsAStatusGoneAfterItWasSeenOnALiveSessionIsLostAtOnce() {
        KeeperObservations o = new KeeperObservations(Duration.ofSeconds(3));
        o.storeReturned(100 * S);
        // seen 1 s after the return: its node may still be the old session's, about to expire and come back
        o.observe(snapshot(6, status("a", STAMP, true)), 101 * S);
        assertThat(o.observe(snapshot(6), 102 * S).missingIsLost("a", Duration.ofSeconds(10)))
                .isFalse();
        // written again 4 s after the return, when every older session has surely expired: gone now means lost
        o.observe(snapshot(6, status("a", STAMP.plusSeconds(4), true)), 104 * S);
        Liveness gone = o.observe(snapshot(6), 105 * S);
        assertThat(gone.vanished()).containsExactly("a");
        assertThat(gone.missingIsLost("a", Duration.ofSeconds(10))).isTrue();
    }

    @Test
    void everyClockStartsAgainWhenElectedOrWhenTheStoreReturns() {
        KeeperObservations o = new KeeperObservations(Duration.ofSeconds(3));
        o.observe(snapshot(5, status("a", STAMP, true)), 0);
        assertThat(o.observe(snapshot(5, status("a", STAMP, true)), 20 * S).generationAge())
                .isEqualTo(Duration.ofSeconds(20));
        o.restart(); // resigned, elected again later
        Liveness elected = o.observe(snapshot(5, status("a", STAMP, true)), 30 * S);
        assertThat(elected.silentFor("a")).isZero();
        assertThat(elected.generationAge()).isZero();
        assertThat(elected.sinceReturn()).isNull();
        assertThat(elected.missingIsLost("a", Duration.ofSeconds(10))).isTrue();

        o.storeReturned(40 * S);
        Liveness back = o.observe(snapshot(6, status("a", STAMP, true)), 42 * S);
        assertThat(back.silentFor("a")).isZero();
        assertThat(back.sinceReturn()).isEqualTo(Duration.ofSeconds(2));
        assertThat(back.missingIsLost("a", Duration.ofSeconds(10))).isFalse();
        assertThat(o.observe(snapshot(6), 50 * S).missingIsLost("a", Duration.ofSeconds(10)))
                .isTrue();
    }
}
