package dev.pgha.sentinel;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pgha.common.model.ClusterView;
import dev.pgha.common.model.Phase;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** {@link DeadMembers}: when a member gone long enough is removed, and who never is. */
class DeadMembersTest {
    private static final Instant NOW = Instant.parse("2026-11-23T12:00:00Z");
    private static final Duration INTERVAL = Duration.ofMinutes(10);
    private static final ClusterView VIEW =
            new ClusterView(7, "a", List.of("b", "c"), List.of("b"), List.of("b"), Phase.NORMAL, null, "r", null, null);

    @Test
    void aMemberSeenAbsentForTheFirstTimeStartsItsClock() {
        var d = DeadMembers.next(Map.of(), Set.of("a", "b", "c"), Set.of("a", "b"), VIEW, NOW, INTERVAL);
        assertThat(d.remove()).isEmpty();
        assertThat(d.goneSince()).isEqualTo(Map.of("c", NOW));
    }

    @Test
    void itIsRemovedOnceGoneForTheInterval() {
        var before = DeadMembers.next(
                Map.of("c", NOW),
                Set.of("a", "b", "c"),
                Set.of("a", "b"),
                VIEW,
                NOW.plus(INTERVAL).minusMillis(1),
                INTERVAL);
        assertThat(before.remove()).isEmpty();
        var at = DeadMembers.next(
                Map.of("c", NOW), Set.of("a", "b", "c"), Set.of("a", "b"), VIEW, NOW.plus(INTERVAL), INTERVAL);
        assertThat(at.remove()).containsExactly("c");
        assertThat(at.goneSince()).isEmpty();
    }

    @Test
    void aMemberThatCameBackForgetsItsClock() {
        var d = DeadMembers.next(
                Map.of("c", NOW),
                Set.of("a", "b", "c"),
                Set.of("a", "b", "c"),
                VIEW,
                NOW.plus(INTERVAL.multipliedBy(2)),
                INTERVAL);
        assertThat(d.remove()).isEmpty();
        assertThat(d.goneSince()).isEmpty();
    }

    @Test
    void theLeaderAndSynchronousStandbysAreNeverRemoved() {
        var d = DeadMembers.next(
                Map.of("a", NOW, "b", NOW, "c", NOW),
                Set.of("a", "b", "c"),
                Set.of(),
                VIEW,
                NOW.plus(Duration.ofDays(30)),
                INTERVAL);
        assertThat(d.remove()).containsExactly("c");
        assertThat(d.goneSince()).isEqualTo(Map.of("a", NOW, "b", NOW));
    }

    @Test
    void clocksOfMembersNoLongerRegisteredAreDropped() {
        var d = DeadMembers.next(Map.of("x", NOW), Set.of("a"), Set.of("a"), VIEW, NOW, INTERVAL);
        assertThat(d.goneSince()).isEmpty();
        assertThat(d.remove()).isEmpty();
    }
}
