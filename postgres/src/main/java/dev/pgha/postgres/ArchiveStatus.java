package dev.pgha.postgres;

import dev.pgha.common.health.CheckReport.Outcome;
import dev.pgha.common.health.Formats;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;

/**
 * How WAL archiving goes on a primary, from pg_stat_archiver and the segments waiting in pg_wal/archive_status: the
 * "wal archiving" line of /flycheck/pg and the pg_stat_archiver_* metrics. Archiving is failing when the last
 * attempt failed after the last success; the check fails once that has lasted longer than backup.archiveMaxAge.
 *
 * @param archivedCount WAL files archived since the statistics were reset
 * @param failedCount   failed attempts
 * @param lastArchived  when the last one was archived (null: never)
 * @param lastFailed    when the last attempt failed (null: never)
 * @param lastFailedWal the file it failed on
 * @param waiting       segments ready to be archived and not archived yet
 * @param archiveMode   archive_mode is on
 */
public record ArchiveStatus(
        long archivedCount,
        long failedCount,
        Instant lastArchived,
        Instant lastFailed,
        String lastFailedWal,
        long waiting,
        boolean archiveMode) {

    static final String SQL = """
            SELECT archived_count, failed_count, last_archived_time, last_failed_time, last_failed_wal,
                   (SELECT count(*) FROM pg_ls_archive_statusdir() WHERE name LIKE '%.ready'),
                   current_setting('archive_mode') <> 'off'
              FROM pg_stat_archiver
            """;

    public static ArchiveStatus read(Connection c) throws SQLException {
        try (Statement st = c.createStatement();
                ResultSet rs = st.executeQuery(SQL)) {
            rs.next();
            return new ArchiveStatus(
                    rs.getLong(1),
                    rs.getLong(2),
                    instant(rs.getTimestamp(3)),
                    instant(rs.getTimestamp(4)),
                    rs.getString(5),
                    rs.getLong(6),
                    rs.getBoolean(7));
        }
    }

    private static Instant instant(Timestamp t) {
        return t == null ? null : t.toInstant();
    }

    /** The last attempt failed, after the last success. */
    public boolean failing() {
        return lastFailed != null && (lastArchived == null || lastFailed.isAfter(lastArchived));
    }

    /** Seconds since the last archived file (NaN: never). */
    public double lastArchiveAgeSeconds(Instant now) {
        return lastArchived == null
                ? Double.NaN
                : Duration.between(lastArchived, now).toMillis() / 1000.0;
    }

    /** The "wal archiving" line of /flycheck/pg. */
    public Outcome line(Instant now, Duration maxAge) {
        String waitingText = waiting == 0 ? "" : ", " + waiting + " segment" + (waiting == 1 ? "" : "s") + " waiting";
        String last = lastArchived == null
                ? "nothing archived yet"
                : "last archived "
                        + Formats.duration(Duration.between(lastArchived, now).truncatedTo(ChronoUnit.SECONDS))
                        + " ago";
        if (!failing()) {
            return Outcome.pass("wal archiving: " + last + waitingText);
        }
        Duration failingFor = Duration.between(lastArchived == null ? lastFailed : lastArchived, now);
        String line = "wal archiving: failing since "
                + (lastArchived == null ? lastFailed : lastArchived).truncatedTo(ChronoUnit.SECONDS) + " (" + last
                + waitingText + "; last failure at "
                + lastFailed.truncatedTo(ChronoUnit.SECONDS) + " on " + lastFailedWal
                + "; the leader's log says why)";
        return failingFor.compareTo(maxAge) > 0 || lastArchived == null
                ? Outcome.fail(line + ": longer than " + Formats.duration(maxAge) + " (backup.archiveMaxAge)")
                : Outcome.pass(line);
    }
}
