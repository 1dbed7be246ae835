package dev.pgha.sentinel;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pgha.common.backup.BackupJob;
import dev.pgha.common.backup.BackupType;
import dev.pgha.common.backup.ScheduledBackup;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class BackupScheduleTest {
    private static final Instant NOW = Instant.parse("2026-11-29T12:00:00Z");
    private static final List<ScheduledBackup> DAILY_FULL_HOURLY_INCR =
            ScheduledBackup.parse("daily full, hourly incr").orElseThrow();

    /**
     * Each row: the schedule, the job in the store (none, or its state and how many minutes ago it finished), the
     * minutes since the last full and the last incr succeeded (-1: never) -> the type asked for (empty: none).
     */
    @ParameterizedTest(name = "{0}; job {1} {2}m ago; full {3}m, incr {4}m ago -> {5}")
    @CsvSource(delimiter = '|', textBlock = """
            daily full, hourly incr | NONE      |  0 |   -1 |  -1 | FULL
            daily full, hourly incr | SUCCEEDED | 10 |   10 |  -1 |
            daily full, hourly incr | SUCCEEDED | 10 |   70 |  -1 | INCR
            daily full, hourly incr | SUCCEEDED | 10 |  300 |  61 | INCR
            daily full, hourly incr | SUCCEEDED | 10 |  300 |  30 |
            daily full, hourly incr | SUCCEEDED | 10 | 1441 |  30 | FULL
            daily full, hourly incr | SUCCEEDED | 10 | 1441 |  61 | FULL
            daily full, hourly incr | REQUESTED |  0 | 1441 |  61 |
            daily full, hourly incr | RUNNING   |  0 | 1441 |  61 |
            daily full, hourly incr | FAILED    |  5 | 1441 |  61 |
            daily full, hourly incr | FAILED    | 11 | 1441 |  61 | FULL
            weekly full, daily diff | SUCCEEDED | 10 | 1500 |  -1 | DIFF
            ''                      | NONE      |  0 |   -1 |  -1 |
            """)
    void asksForTheFullestDueBackupOneAtATime(
            String schedule, String state, long finishedMinutesAgo, long fullAgo, long incrAgo, BackupType expected) {
        List<ScheduledBackup> entries = ScheduledBackup.parse(schedule).orElseThrow();
        BackupJob job = null;
        if (!state.equals("NONE")) {
            BackupJob history = BackupJob.request("h", BackupType.FULL, "schedule", NOW, null);
            if (fullAgo >= 0) {
                history = done(history, BackupType.FULL, fullAgo);
            }
            if (incrAgo >= 0) {
                history = done(history, BackupType.INCR, incrAgo);
            }
            job = BackupJob.request("j", BackupType.INCR, "schedule", NOW, history);
            Instant finished = NOW.minusSeconds(finishedMinutesAgo * 60);
            job = switch (BackupJob.State.valueOf(state)) {
                case REQUESTED -> job;
                case RUNNING -> job.start("a", NOW);
                case FAILED -> job.start("a", finished).fail("repository unreachable", finished);
                case SUCCEEDED -> job;
            };
            if (state.equals("SUCCEEDED")) {
                job = new BackupJob(
                        job.id(),
                        job.type(),
                        BackupJob.State.SUCCEEDED,
                        "schedule",
                        NOW,
                        "a",
                        finished,
                        finished,
                        "l",
                        1,
                        1,
                        null,
                        job.completed());
            }
        }
        assertThat(BackupSchedule.due(entries, job, NOW).orElse(null)).isEqualTo(expected);
        assertThat(DAILY_FULL_HOURLY_INCR).hasSize(2);
    }

    private static BackupJob done(BackupJob history, BackupType type, long minutesAgo) {
        Instant at = NOW.minusSeconds(minutesAgo * 60);
        BackupJob j = BackupJob.request("x", type, "schedule", at, history).start("a", at);
        return j.succeed("label", 1, 1, at);
    }
}
