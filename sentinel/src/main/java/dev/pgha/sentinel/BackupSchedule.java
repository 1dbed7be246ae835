package dev.pgha.sentinel;

import dev.pgha.common.backup.BackupJob;
import dev.pgha.common.backup.BackupType;
import dev.pgha.common.backup.ScheduledBackup;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * Which base backup backup.schedule asks for now, if any: a pure function of the schedule, the cluster's backup job
 * and the time, tested by a table. Never while a job is requested or running (one backup at a time), nor within
 * {@link #RETRY_AFTER_FAILURE} of a failed one; when several entries are due, the fullest type wins (a full backup
 * also counts as the diff and incr it makes unnecessary).
 */
final class BackupSchedule {
    static final Duration RETRY_AFTER_FAILURE = Duration.ofMinutes(10);

    private BackupSchedule() {}

    static Optional<BackupType> due(List<ScheduledBackup> schedule, BackupJob job, Instant now) {
        if (schedule.isEmpty()) {
            return Optional.empty();
        }
        if (job != null && !job.state().finished()) {
            return Optional.empty();
        }
        if (job != null
                && job.state() == BackupJob.State.FAILED
                && job.finishedAt() != null
                && Duration.between(job.finishedAt(), now).compareTo(RETRY_AFTER_FAILURE) < 0) {
            return Optional.empty();
        }
        return schedule.stream()
                .sorted(Comparator.comparing(ScheduledBackup::type))
                .filter(e -> {
                    Instant last = job == null ? null : job.lastSuccess(e.type());
                    return last == null || Duration.between(last, now).compareTo(e.every()) >= 0;
                })
                .map(ScheduledBackup::type)
                .findFirst();
    }
}
