package dev.pgha.app.health;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pgha.common.config.PghaConfig;
import dev.pgha.common.health.CheckReport;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.regex.Pattern;
import org.assertj.core.api.Assertions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** /flycheck/vm from a /proc written by the test: load and pressure thresholds and Fly's wording. */
class VmChecksTest {
    @TempDir
    Path dir;

    private CheckReport run(String loadavg, String cpuPressure, int diskMinFree) throws IOException {
        Path proc = dir.resolve("proc");
        Files.createDirectories(proc.resolve("pressure"));
        Files.writeString(proc.resolve("loadavg"), loadavg);
        Files.writeString(proc.resolve("pressure/cpu"), cpuPressure);
        Files.writeString(
                proc.resolve("pressure/memory"),
                "some avg10=0.00 avg60=1.50 avg300=0.00 total=1\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=0\n");
        PghaConfig.Health limits =
                new PghaConfig.Health(Duration.ofSeconds(5), diskMinFree, 4, 80, Duration.ofSeconds(3), 10_000_000);
        return new VmChecks(dir, proc, limits, 2).run();
    }

    @Test
    void aQuietMachinePassesInFlysWords() throws IOException {
        CheckReport r =
                run("0.29 0.35 0.50 1/77 26829\n", "some avg10=1.00 avg60=6.67 avg300=9.01 total=1357763065\n", 0);
        assertThat(r.passed()).isTrue();
        assertThat(r.results())
                .extracting(c -> c.message())
                .containsExactly(
                        r.results().get(0).message(),
                        "load averages: 0.29 0.35 0.50",
                        "memory: 0.9s waiting over the last 60s",
                        "cpu: 4.0s waiting over the last 60s");
        assertThat(r.results().get(0).message())
                .matches("[\\d.]+ (B|kB|MB|GB|TB) \\([\\d.]+%\\) free space on " + Pattern.quote(dir + "/"));
    }

    @Test
    void overloadAndCpuPressureFailWithTheCause() throws IOException {
        CheckReport r = run("9.50 4.00 2.00 3/77 1\n", "some avg10=93.00 avg60=50.00 avg300=9.01 total=1\n", 0);
        assertThat(r.passed()).isFalse();
        assertThat(r.render())
                .contains("[✗] load averages: 9.50 4.00 2.00: above 8 (4 per core x 2 cores, "
                        + "health.maxLoadPerCore) (")
                .contains("[✗] system spent 9.3 of the last 10 seconds waiting for cpu (above 80%, "
                        + "health.maxPressurePercent) (")
                .contains("[✓] memory: 0.9s waiting over the last 60s (");
    }

    @Test
    void aFullerVolumeThanAllowedFails() throws IOException {
        CheckReport r = run("0.1 0.1 0.1 1/1 1\n", "some avg10=0.00 avg60=0.00 avg300=0.00 total=0\n", 100);
        assertThat(r.passed()).isFalse();
        assertThat(r.results().get(0).line())
                .startsWith("[✗] ")
                .contains("below the 100% minimum (health.diskMinFreePercent); free space or grow the volume");
    }

    @Test
    void lagBoundsAcceptBytesAndUnits() {
        assertThat(HealthApi.parseBytes("1048576")).isEqualTo(1 << 20);
        assertThat(HealthApi.parseBytes("16MB")).isEqualTo(16L << 20);
        assertThat(HealthApi.parseBytes("16kB")).isEqualTo(16L << 10);
        assertThat(HealthApi.parseBytes("1GB")).isEqualTo(1L << 30);
        Assertions.assertThatThrownBy(() -> HealthApi.parseBytes("lots")).isInstanceOf(IllegalArgumentException.class);
    }
}
