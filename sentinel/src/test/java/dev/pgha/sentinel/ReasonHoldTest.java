package dev.pgha.sentinel;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pgha.common.model.Cause;
import dev.pgha.common.model.ClusterView;
import dev.pgha.common.model.Phase;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class ReasonHoldTest {
    private static final long MS = 1_000_000L;
    private static final ClusterView SWITCHOVER = new ClusterView(
            7,
            null,
            List.of("b", "c"),
            List.of("b"),
            List.of("b"),
            Phase.SWITCHOVER,
            Cause.SWITCHOVER,
            "switchover: stopping leader a cleanly before promoting b",
            "a",
            Instant.parse("2026-12-01T00:00:00Z"));

    @Test
    void aNewReasonOrStandbysListSoonAfterAWriteWaitsForTheRestOfTheHold() {
        ReasonHold hold = new ReasonHold();
        hold.written(1000 * MS);
        ClusterView waiting = SWITCHOVER.withReason(Cause.SWITCHOVER, "switchover: waiting for leader a to shut down");
        assertThat(hold.holdFor(SWITCHOVER, waiting, 1100 * MS)).isEqualTo(Duration.ofMillis(400));
        assertThat(hold.holdFor(SWITCHOVER, SWITCHOVER.withStandbys(List.of("c")), 1499 * MS))
                .isEqualTo(Duration.ofMillis(1));
        assertThat(hold.holdFor(SWITCHOVER, waiting, 1500 * MS)).isZero();
        assertThat(hold.holdFor(SWITCHOVER, waiting, 9000 * MS)).isZero();
    }

    @Test
    void whatAnyoneActsOnIsWrittenAtOnce() {
        ReasonHold hold = new ReasonHold();
        hold.written(1000 * MS);
        long soon = 1001 * MS;
        Instant now = Instant.parse("2026-12-01T00:00:01Z");
        // a new generation
        assertThat(hold.holdFor(
                        SWITCHOVER,
                        SWITCHOVER.advance("b", Phase.FAILOVER_PROMOTING, Cause.SWITCHOVER, "promoting b", now),
                        soon))
                .isZero();
        // another cause, even with the same generation
        assertThat(hold.holdFor(SWITCHOVER, SWITCHOVER.withReason(Cause.FAILOVER, "failover"), soon))
                .isZero();
        // the synchronous standbys (the leader's synchronous_standby_names, and who may be promoted)
        assertThat(hold.holdFor(SWITCHOVER, SWITCHOVER.withSync(List.of("b", "c"), List.of("b")), soon))
                .isZero();
        assertThat(hold.holdFor(
                        SWITCHOVER,
                        SWITCHOVER.withSync(List.of("b"), List.of("c")).withReason(Cause.SWITCHOVER, "other"),
                        soon))
                .isZero();
    }

    @Test
    void theFirstWriteOfASentinelAndOneWithNothingStoredAreNotHeld() {
        ReasonHold hold = new ReasonHold();
        ClusterView waiting = SWITCHOVER.withReason(Cause.SWITCHOVER, "waiting");
        assertThat(hold.holdFor(SWITCHOVER, waiting, 5 * MS)).isZero(); // it has written nothing yet
        hold.written(5 * MS);
        assertThat(hold.holdFor(null, waiting, 6 * MS)).isZero();
        hold.forget(); // it lost the election, or another sentinel wrote meanwhile
        assertThat(hold.holdFor(SWITCHOVER, waiting, 6 * MS)).isZero();
    }
}
