package dev.pgha.app.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pgha.common.PghaException;
import dev.pgha.common.model.ClusterSpec;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** `pgha pause --until`: what an operator may write, and what each means. */
class ClusterPauseTest {
    private static final Instant NOW = Instant.parse("2026-11-29T20:00:00Z");

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({
        "30m,                       2026-11-29T20:30:00Z",
        "2h,                        2026-11-29T22:00:00Z",
        "90s,                       2026-11-29T20:01:30Z",
        "2026-11-29T22:00:00Z,      2026-11-29T22:00:00Z",
        "2026-11-29T23:00:00+01:00, 2026-11-29T22:00:00Z",
    })
    void anEndIsADurationFromNowOrATimeWithItsOffset(String text, Instant expected) {
        assertThat(ClusterPause.until(text, NOW)).isEqualTo(expected);
    }

    @ParameterizedTest
    @CsvSource({"0s", "-5m", "tomorrow", "2026-11-29T22:00:00", "22:00"})
    void anythingElseIsRefusedNamingTheOption(String text) {
        assertThatThrownBy(() -> ClusterPause.until(text, NOW))
                .isInstanceOf(PghaException.class)
                .hasMessage("--until " + text + ": not a positive duration (30m, 2h) or a time with its offset "
                        + "(2026-11-29T22:00:00Z)");
    }

    @Test
    void describesSinceAndUntilToTheSecond() {
        assertThat(ClusterPause.describe(new ClusterSpec.Pause(Instant.parse("2026-11-29T20:00:00.123Z"), null)))
                .isEqualTo("since 2026-11-29T20:00:00Z");
        assertThat(ClusterPause.describe(new ClusterSpec.Pause(NOW, Instant.parse("2026-11-29T21:00:00Z"))))
                .isEqualTo("since 2026-11-29T20:00:00Z (until 2026-11-29T21:00:00Z)");
    }
}
