package dev.pgha.keeper;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class DiskUsageTest {
    @ParameterizedTest(name = "{0}% used, limit {1}, read-only now {2} -> {3}")
    @CsvSource({
        "50, 90, false, false",
        "89, 90, false, false",
        "90, 90, false, true",
        "99, 90, false, true",
        "90, 90, true, true",
        "89, 90, true, true",
        "88, 90, true, false",
        "10, 90, true, false",
        "100, 100, false, false",
        "100, 100, true, false",
    })
    void readOnlyFromTheLimitUntilTwoPointsBelow(int used, int limit, boolean now, boolean expected) {
        assertThat(DiskUsage.readOnly(used, limit, now)).isEqualTo(expected);
    }

    @Test
    void measuresARealVolume() {
        assertThat(DiskUsage.usedPercent(Path.of(System.getProperty("java.io.tmpdir")))
                        .getAsInt())
                .isBetween(0, 100);
        assertThat(DiskUsage.usedPercent(Path.of("/no/such/dir"))).isEmpty();
    }
}
