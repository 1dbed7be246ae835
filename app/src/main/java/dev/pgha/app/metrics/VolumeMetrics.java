package dev.pgha.app.metrics;

import dev.pgha.keeper.DiskUsage;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.nio.file.Path;

/**
 * The data volume, as the keeper's disk guard sees it: pgha_data_volume_used_percent (as df counts it) and
 * pgha_data_volume_readonly_percent (postgres.diskFullPercent: from there on postgres is read-only; 100 = never), so
 * an alert can fire before the volume gets there.
 */
public final class VolumeMetrics {
    private VolumeMetrics() {}

    public static void bind(MeterRegistry registry, Path pgData, int readOnlyPercent) {
        // a Supplier gauge holds its function strongly; a gauge on a state object (the Path) holds that only weakly,
        // and once it was collected the series read NaN
        Gauge.builder("pgha.data.volume.used.percent", () -> {
                    var used = DiskUsage.usedPercent(pgData);
                    return used.isPresent() ? used.getAsInt() : Double.NaN;
                })
                .description("Percent of the data volume in use")
                .register(registry);
        Gauge.builder("pgha.data.volume.readonly.percent", () -> readOnlyPercent)
                .description("Usage of the data volume from which postgres is read-only (postgres.diskFullPercent; "
                        + "100: never)")
                .register(registry);
    }
}
