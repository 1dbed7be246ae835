package dev.pgha.app.metrics;

import dev.pgha.common.backup.BackupJob;
import dev.pgha.common.backup.BackupType;
import dev.pgha.common.concurrent.Closeables;
import dev.pgha.common.concurrent.OwnerLoop;
import dev.pgha.common.store.ClusterStore;
import dev.pgha.common.store.StoreException;
import dev.pgha.common.store.Subscription;
import dev.pgha.common.store.Topic;
import dev.pgha.common.store.Versioned;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import java.util.EnumSet;
import java.util.function.ToDoubleFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The cluster's base backups, from the backup job in the store (the same on every member): per type,
 * pgha_backup_last_success_timestamp_seconds, pgha_backup_duration_seconds and pgha_backup_size_bytes of the last
 * successful backup, and pgha_backup_running. Read on this class's own thread whenever the job changes.
 */
public final class BackupMetrics implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(BackupMetrics.class);

    private final ClusterStore store;
    private final OwnerLoop loop = new OwnerLoop("backup-metrics", log, this::read);
    private final Subscription subscription;
    private volatile BackupJob job; // null before the first backup

    public BackupMetrics(MeterRegistry registry, ClusterStore store) {
        this.store = store;
        for (BackupType type : BackupType.values()) {
            Tags tags = Tags.of("type", type.word());
            gauge(
                    registry,
                    "pgha.backup.last.success.timestamp.seconds",
                    tags,
                    type,
                    "When the last successful " + "backup of this type finished (Unix time)",
                    j -> j.finishedAt().toEpochMilli() / 1000.0);
            gauge(
                    registry,
                    "pgha.backup.duration.seconds",
                    tags,
                    type,
                    "How long the last successful backup of this" + " type took",
                    j -> j.duration().toMillis() / 1000.0);
            gauge(
                    registry,
                    "pgha.backup.size.bytes",
                    tags,
                    type,
                    "Database size held by the last successful backup" + " of this type",
                    BackupJob::sizeBytes);
        }
        Gauge.builder(
                        "pgha.backup.running",
                        this,
                        m -> m.job != null && !m.job.state().finished() ? 1 : 0)
                .description("Whether a base backup is requested or running (1) or not (0)")
                .register(registry);
        subscription = store.onChange(EnumSet.of(Topic.BACKUP), loop::trigger);
        loop.trigger();
    }

    private void gauge(
            MeterRegistry registry,
            String name,
            Tags tags,
            BackupType type,
            String description,
            ToDoubleFunction<BackupJob> value) {
        Gauge.builder(name, this, m -> {
                    BackupJob j = m.job;
                    BackupJob done = j == null ? null : j.completed().get(type);
                    return done == null ? Double.NaN : value.applyAsDouble(done);
                })
                .tags(tags)
                .description(description)
                .register(registry);
    }

    private void read() {
        try {
            job = store.backupJob().map(Versioned::value).orElse(null);
        } catch (StoreException e) {
            // the next change is read once the store is back
        }
    }

    @Override
    public void close() {
        Closeables.closeQuietly(subscription);
        loop.close();
    }
}
