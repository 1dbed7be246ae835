package dev.pgha.common.backup;

import java.time.Duration;
import java.time.Instant;
import java.util.Collections;
import java.util.EnumMap;
import java.util.Map;
import java.util.Objects;

/**
 * The cluster's one base backup at a time (persistent value {@code backup} in the store): asked for by
 * {@code pgha backup create} or by the elected sentinel's schedule (REQUESTED), claimed by the leader's keeper with
 * compare-and-set (RUNNING), and finished by it (SUCCEEDED or FAILED). A new request replaces a finished job only, so
 * two backups never run at once. {@code completed} carries the last success of each type forward from job to job.
 *
 * @param id          random id: the CLI recognises its own job
 * @param requestedBy "operator" or "schedule"
 * @param member      who runs it (null while REQUESTED)
 * @param label       pgBackRest's label of the finished backup
 * @param sizeBytes   the database size the backup holds
 * @param repoBytes   what it added to the repository
 * @param message     why it failed, or how far it got
 */
public record BackupJob(
        String id,
        BackupType type,
        State state,
        String requestedBy,
        Instant requestedAt,
        String member,
        Instant startedAt,
        Instant finishedAt,
        String label,
        long sizeBytes,
        long repoBytes,
        String message,
        Map<BackupType, BackupJob> completed) {

    public enum State {
        REQUESTED,
        RUNNING,
        SUCCEEDED,
        FAILED;

        public boolean finished() {
            return this == SUCCEEDED || this == FAILED;
        }
    }

    public BackupJob {
        Map<BackupType, BackupJob> copy = new EnumMap<>(BackupType.class);
        if (completed != null) {
            completed.forEach((k, v) -> copy.put(k, v.withoutHistory()));
        }
        completed = Collections.unmodifiableMap(copy);
    }

    /** A new request; {@code previous} (finished, or null) hands its history on. */
    public static BackupJob request(String id, BackupType type, String requestedBy, Instant at, BackupJob previous) {
        return new BackupJob(
                id, type, State.REQUESTED, requestedBy, at, null, null, null, null, 0, 0, null, history(previous));
    }

    public BackupJob start(String byMember, Instant at) {
        return with(State.RUNNING, byMember, at, null, null, 0, 0, message, completed);
    }

    public BackupJob progress(String what) {
        return with(state, member, startedAt, finishedAt, label, sizeBytes, repoBytes, what, completed);
    }

    public BackupJob succeed(String backupLabel, long size, long repoSize, Instant at) {
        BackupJob done = with(State.SUCCEEDED, member, startedAt, at, backupLabel, size, repoSize, null, Map.of());
        Map<BackupType, BackupJob> next = new EnumMap<>(BackupType.class);
        next.putAll(completed);
        next.put(type, done);
        return done.with(State.SUCCEEDED, member, startedAt, at, backupLabel, size, repoSize, null, next);
    }

    public BackupJob fail(String why, Instant at) {
        return with(State.FAILED, member, startedAt, at, null, 0, 0, why, completed);
    }

    private BackupJob with(
            State nextState,
            String byMember,
            Instant started,
            Instant finished,
            String backupLabel,
            long size,
            long repoSize,
            String text,
            Map<BackupType, BackupJob> history) {
        return new BackupJob(
                id,
                type,
                nextState,
                requestedBy,
                requestedAt,
                byMember,
                started,
                finished,
                backupLabel,
                size,
                repoSize,
                text,
                history);
    }

    /** How long it ran (finished jobs). */
    public Duration duration() {
        return startedAt == null || finishedAt == null ? Duration.ZERO : Duration.between(startedAt, finishedAt);
    }

    /**
     * When the newest successful backup that counts as {@code type} finished: a full backup counts as a diff and an
     * incr too, a diff as an incr.
     */
    public Instant lastSuccess(BackupType type) {
        Instant newest = null;
        for (BackupType t : BackupType.values()) {
            if (t.ordinal() <= type.ordinal() && completed.containsKey(t)) {
                Instant at = completed.get(t).finishedAt();
                if (newest == null || at.isAfter(newest)) {
                    newest = at;
                }
            }
        }
        return newest;
    }

    private BackupJob withoutHistory() {
        return completed.isEmpty()
                ? this
                : with(state, member, startedAt, finishedAt, label, sizeBytes, repoBytes, message, Map.of());
    }

    private static Map<BackupType, BackupJob> history(BackupJob previous) {
        return previous == null ? Map.of() : Objects.requireNonNullElse(previous.completed(), Map.of());
    }
}
