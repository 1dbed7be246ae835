package dev.pgha.postgres;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pgha.common.health.CheckReport.Outcome;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class ArchiveStatusTest {
    private static final Instant NOW = Instant.parse("2026-11-29T12:00:00Z");
    private static final Duration MAX = Duration.ofMinutes(2);

    private static ArchiveStatus status(Instant archived, Instant failed, long waiting) {
        return new ArchiveStatus(
                10, failed == null ? 0 : 3, archived, failed, "000000010000000000000007", waiting, true);
    }

    @Test
    void passesWhileTheLastAttemptSucceeded() {
        Outcome o = status(NOW.minusSeconds(42), NOW.minusSeconds(600), 0).line(NOW, MAX);
        assertThat(o.passed()).isTrue();
        assertThat(o.message()).isEqualTo("wal archiving: last archived 42s ago");
        assertThat(status(NOW.minusSeconds(3), null, 2).line(NOW, MAX).message())
                .isEqualTo("wal archiving: last archived 3s ago, 2 segments waiting");
        assertThat(status(null, null, 0).line(NOW, MAX).message()).isEqualTo("wal archiving: nothing archived yet");
    }

    @Test
    void failingSaysSinceWhenAndFailsOnlyPastTheThreshold() {
        Outcome young = status(NOW.minusSeconds(30), NOW.minusSeconds(1), 4).line(NOW, MAX);
        assertThat(young.passed()).isTrue();
        assertThat(young.message())
                .isEqualTo(
                        "wal archiving: failing since 2026-11-29T11:59:30Z (last archived 30s ago, 4 segments waiting;"
                                + " last failure at 2026-11-29T11:59:59Z on 000000010000000000000007; the leader's log says"
                                + " why)");
        Outcome old = status(NOW.minusSeconds(300), NOW.minusSeconds(1), 40).line(NOW, MAX);
        assertThat(old.passed()).isFalse();
        assertThat(old.message())
                .startsWith("wal archiving: failing since 2026-11-29T11:55:00Z (last archived 300s ago, 40 segments")
                .endsWith(": longer than 120s (backup.archiveMaxAge)");
        assertThat(status(null, NOW.minusSeconds(1), 1).line(NOW, MAX).passed()).isFalse();
    }
}
