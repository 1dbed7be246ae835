package dev.pgha.keeper;

import dev.pgha.common.config.EnvOverrides;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * How much memory postgres may be tuned for: configured (postgres.memory), else the container's cgroup limit, else
 * FLY_VM_MEMORY_MB, else the host's memory.
 */
public final class MemoryProbe {
    /** Bytes and where the figure came from (logged, and written into postgresql.conf's header). */
    public record Budget(long bytes, String source) {}

    private MemoryProbe() {}

    public static Budget detect(Optional<Long> configured, Map<String, String> env) {
        return detect(configured, env, Path.of("/sys/fs/cgroup"), Path.of("/proc/meminfo"));
    }

    static Budget detect(Optional<Long> configured, Map<String, String> env, Path cgroupRoot, Path meminfo) {
        if (configured.isPresent()) {
            return new Budget(configured.get(), "postgres.memory");
        }
        long host = hostMemory(meminfo);
        Optional<Long> cgroup = cgroupLimit(cgroupRoot).filter(limit -> limit < host);
        if (cgroup.isPresent()) {
            return new Budget(cgroup.get(), "cgroup memory limit");
        }
        String fly = env.get(EnvOverrides.FLY_VM_MEMORY_MB);
        if (fly != null && fly.strip().matches("\\d{1,9}") && Long.parseLong(fly.strip()) > 0) {
            return new Budget(Long.parseLong(fly.strip()) << 20, EnvOverrides.FLY_VM_MEMORY_MB);
        }
        return new Budget(host, "host memory");
    }

    private static Optional<Long> cgroupLimit(Path root) {
        for (Path file : new Path[] {root.resolve("memory.max"), root.resolve("memory/memory.limit_in_bytes")}) {
            try {
                String v = Files.readString(file).strip();
                if (v.matches("\\d+")) {
                    return Optional.of(Long.parseLong(v));
                }
            } catch (IOException | NumberFormatException ignored) {
                // not this cgroup version, or no limit ("max")
            }
        }
        return Optional.empty();
    }

    private static long hostMemory(Path meminfo) {
        try {
            for (String line : Files.readAllLines(meminfo)) {
                if (line.startsWith("MemTotal:")) {
                    return Long.parseLong(line.replaceAll("\\D", "")) * 1024;
                }
            }
        } catch (IOException | NumberFormatException ignored) {
            // fall through
        }
        return Runtime.getRuntime().maxMemory() * 4; // a JVM default heap is a quarter of memory
    }
}
