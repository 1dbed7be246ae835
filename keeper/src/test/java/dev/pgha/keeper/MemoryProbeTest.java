package dev.pgha.keeper;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MemoryProbeTest {
    @TempDir
    Path dir;

    Path cgroup;
    Path meminfo;

    @BeforeEach
    void host16g() throws IOException {
        cgroup = Files.createDirectories(dir.resolve("cgroup"));
        meminfo = dir.resolve("meminfo");
        Files.writeString(meminfo, "MemTotal:       16777216 kB\nMemFree:         1000 kB\n");
    }

    @Test
    void configuredWins() throws IOException {
        Files.writeString(cgroup.resolve("memory.max"), "268435456\n");
        var b = MemoryProbe.detect(Optional.of(1L << 30), Map.of("FLY_VM_MEMORY_MB", "512"), cgroup, meminfo);
        assertThat(b).isEqualTo(new MemoryProbe.Budget(1L << 30, "postgres.memory"));
    }

    @Test
    void cgroupV2LimitBeforeFlyVariable() throws IOException {
        Files.writeString(cgroup.resolve("memory.max"), "268435456\n");
        var b = MemoryProbe.detect(Optional.empty(), Map.of("FLY_VM_MEMORY_MB", "512"), cgroup, meminfo);
        assertThat(b).isEqualTo(new MemoryProbe.Budget(256L << 20, "cgroup memory limit"));
    }

    @Test
    void cgroupV1Limit() throws IOException {
        Files.createDirectories(cgroup.resolve("memory"));
        Files.writeString(cgroup.resolve("memory/memory.limit_in_bytes"), "536870912\n");
        assertThat(MemoryProbe.detect(Optional.empty(), Map.of(), cgroup, meminfo)
                        .bytes())
                .isEqualTo(512L << 20);
    }

    @Test
    void unlimitedCgroupFallsBackToFlyThenHost() throws IOException {
        Files.writeString(cgroup.resolve("memory.max"), "max\n");
        assertThat(MemoryProbe.detect(Optional.empty(), Map.of("FLY_VM_MEMORY_MB", "512"), cgroup, meminfo))
                .isEqualTo(new MemoryProbe.Budget(512L << 20, "FLY_VM_MEMORY_MB"));
        assertThat(MemoryProbe.detect(Optional.empty(), Map.of("FLY_VM_MEMORY_MB", "lots"), cgroup, meminfo))
                .isEqualTo(new MemoryProbe.Budget(16L << 30, "host memory"));
    }

    @Test
    void cgroupLimitAboveHostMemoryMeansNoLimit() throws IOException {
        Files.writeString(cgroup.resolve("memory.max"), Long.toString(64L << 30));
        assertThat(MemoryProbe.detect(Optional.empty(), Map.of(), cgroup, meminfo)
                        .source())
                .isEqualTo("host memory");
    }
}
