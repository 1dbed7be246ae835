package dev.pgha.app.health;

import dev.pgha.common.config.PghaConfig;
import dev.pgha.common.health.CheckReport;
import dev.pgha.common.health.CheckReport.Outcome;
import dev.pgha.common.health.Formats;
import java.io.IOException;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/**
 * /flycheck/vm, in Fly's words: free space on the data volume, load averages, and time tasks spent waiting for
 * memory, cpu and io (Linux pressure stall information, where the kernel has it).
 */
final class VmChecks {
    private final Path dataDir;
    private final Path proc;
    private final PghaConfig.Health limits;
    private final int cores;

    VmChecks(Path dataDir, Path proc, PghaConfig.Health limits, int cores) {
        this.dataDir = dataDir;
        this.proc = proc;
        this.limits = limits;
        this.cores = cores;
    }

    CheckReport run() {
        CheckReport report = new CheckReport();
        report.run("disk", this::disk);
        report.run("load averages", this::load);
        for (String resource : new String[] {"memory", "cpu", "io"}) {
            Path file = proc.resolve("pressure").resolve(resource);
            if (Files.isReadable(file)) {
                report.run(resource, () -> pressure(resource, file));
            }
        }
        return report;
    }

    private Outcome disk() {
        String where = dataDir + "/";
        try {
            FileStore fs = Files.getFileStore(dataDir);
            long total = fs.getTotalSpace();
            long free = fs.getUsableSpace();
            double percent = total == 0 ? 0 : 100.0 * free / total;
            String line = Formats.bytes(free) + " (" + String.format(Locale.ROOT, "%.1f", percent) + "%) free space on "
                    + where;
            return percent < limits.diskMinFreePercent()
                    ? Outcome.fail(line + ": below the " + limits.diskMinFreePercent()
                            + "% minimum (health.diskMinFreePercent); free space or grow the volume")
                    : Outcome.pass(line);
        } catch (IOException e) {
            return Outcome.fail("cannot read free space on " + where + ": " + e.getMessage());
        }
    }

    private Outcome load() {
        try {
            String[] f = Files.readString(proc.resolve("loadavg")).trim().split("\\s+");
            double one = Double.parseDouble(f[0]);
            String line = "load averages: " + f[0] + " " + f[1] + " " + f[2];
            double bound = (double) limits.maxLoadPerCore() * cores;
            return one > bound
                    ? Outcome.fail(line + ": above " + (int) bound + " (" + limits.maxLoadPerCore() + " per core x "
                            + cores + " cores, health.maxLoadPerCore)")
                    : Outcome.pass(line);
        } catch (IOException | RuntimeException e) {
            return Outcome.fail("load averages: cannot read " + proc.resolve("loadavg") + " (" + e.getMessage() + ")");
        }
    }

    private Outcome pressure(String resource, Path file) {
        Map<String, Double> some;
        try {
            some = Pressure.some(Files.readString(file));
        } catch (IOException | RuntimeException e) {
            return Outcome.fail(resource + ": cannot read " + file + " (" + e.getMessage() + ")");
        }
        double avg10 = some.getOrDefault("avg10", 0.0);
        double avg60 = some.getOrDefault("avg60", 0.0);
        if (avg10 > limits.maxPressurePercent()) {
            return Outcome.fail(String.format(
                            Locale.ROOT,
                            "system spent %.1f of the last 10 seconds waiting for %s",
                            avg10 / 10,
                            resource)
                    + " (above " + limits.maxPressurePercent() + "%, health.maxPressurePercent)");
        }
        return Outcome.pass(String.format(Locale.ROOT, "%s: %.1fs waiting over the last 60s", resource, avg60 * 0.6));
    }

    /** The "some" line of a /proc/pressure file: "some avg10=0.00 avg60=0.00 avg300=0.00 total=0". */
    static final class Pressure {
        private Pressure() {}

        static Map<String, Double> some(String content) {
            for (String line : content.split("\n")) {
                if (line.startsWith("some ")) {
                    Map<String, Double> values = new HashMap<>();
                    for (String field : line.substring(5).trim().split("\\s+")) {
                        int eq = field.indexOf('=');
                        if (eq > 0 && field.startsWith("avg")) {
                            values.put(field.substring(0, eq), Double.parseDouble(field.substring(eq + 1)));
                        }
                    }
                    return values;
                }
            }
            throw new IllegalArgumentException("no \"some\" line");
        }
    }
}
