package dev.pgha.common.health;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class FormatsTest {
    @ParameterizedTest
    @CsvSource({
        "500, 500ns",
        "246000, 246µs",
        "1500000, 1.5ms",
        "2000000000, 2s",
        "31900000000, 31.9s",
        "1234567, 1.23ms"
    })
    void durationsReadLikeFlys(long nanos, String expected) {
        assertThat(Formats.duration(Duration.ofNanos(nanos))).isEqualTo(expected);
    }

    @ParameterizedTest
    @CsvSource({"0, 0 B", "999, 999 B", "1500, 1.50 kB", "20530000000, 20.53 GB", "10485760, 10.49 MB"})
    void bytesInDecimalUnits(long n, String expected) {
        assertThat(Formats.bytes(n)).isEqualTo(expected);
    }

    @Test
    void aReportPassesOnlyWhenEveryLinePassesAndAThrowingCheckBecomesAFailedLine() {
        CheckReport report = new CheckReport()
                .run("disk", () -> CheckReport.Outcome.pass("20.53 GB (83.9%) free space on /data/"))
                .run("load", () -> {
                    throw new IllegalStateException("no /proc");
                });
        assertThat(report.passed()).isFalse();
        assertThat(report.render().lines().toList()).hasSize(2);
        assertThat(report.render())
                .startsWith("[✓] 20.53 GB (83.9%) free space on /data/ (")
                .contains("\n[✗] load: no /proc (");
    }
}
