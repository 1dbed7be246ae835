package dev.pgha.app.metrics;

import dev.pgha.common.secret.Secret;
import dev.pgha.postgres.ArchiveStatus;
import dev.pgha.postgres.PgConnections;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * postgres_exporter-compatible metrics of the local postgres, so community dashboards work unchanged: pg_up,
 * pg_stat_database_* per datname, pg_stat_activity_count by state, pg_settings_max_connections,
 * pg_database_size_bytes, pg_replication_lag (seconds, standbys), pg_stat_replication_pg_wal_lsn_diff (bytes per
 * standby, on the leader), pg_stat_archiver_archived_count / _failed_count / _last_archive_age, and pgha's
 * pgha_replication_streaming (standbys). They are read by {@link #collect()} just before each scrape through one
 * connection, bounded in time; when postgres does not answer, pg_up is 0 and the per-database series disappear.
 *
 * <p>postgres_exporter declares the pg_stat_database counters as counters without a {@code _total} suffix; they are
 * exposed as gauges here so the names stay exactly as dashboards query them ({@code rate()} works on both).
 */
public final class PgMetrics {
    /** pg_stat_database columns exported per database, under pg_stat_database_&lt;column&gt;. */
    private static final List<String> DATABASE_COLUMNS = List.of(
            "numbackends",
            "xact_commit",
            "xact_rollback",
            "blks_read",
            "blks_hit",
            "tup_returned",
            "tup_fetched",
            "tup_inserted",
            "tup_updated",
            "tup_deleted",
            "conflicts",
            "deadlocks");

    private static final String DATABASE_SQL = "SELECT datid::text, datname, " + String.join(", ", DATABASE_COLUMNS)
            + ", pg_database_size(datid) FROM pg_stat_database WHERE datname IS NOT NULL ORDER BY datname";
    // the same states postgres_exporter reports, zeros included, for every database
    private static final String ACTIVITY_SQL = """
            SELECT d.datname, s.state, count(a.pid)
              FROM pg_database d
             CROSS JOIN (VALUES ('active'), ('idle'), ('idle in transaction'), ('idle in transaction (aborted)'),
                                ('fastpath function call'), ('disabled')) AS s(state)
              LEFT JOIN pg_stat_activity a ON a.datid = d.oid AND a.state = s.state
             WHERE d.datallowconn
             GROUP BY d.datname, s.state ORDER BY 1, 2
            """;
    private static final String SERVER_SQL = """
            SELECT current_setting('max_connections')::int,
                   pg_is_in_recovery(),
                   CASE WHEN NOT pg_is_in_recovery() THEN 0
                        WHEN pg_last_wal_receive_lsn() IS NOT DISTINCT FROM pg_last_wal_replay_lsn() THEN 0
                        ELSE GREATEST(0, EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp())) END,
                   CASE WHEN pg_is_in_recovery()
                        THEN EXISTS (SELECT 1 FROM pg_stat_wal_receiver WHERE status = 'streaming') END
            """;
    private static final String REPLICATION_SQL = """
            SELECT application_name, COALESCE(host(client_addr), ''), state,
                   COALESCE(pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn), 0)
              FROM pg_stat_replication WHERE NOT pg_is_in_recovery()
            """;

    private final int pgPort;
    private final Secret password;
    private final Duration timeout;
    private final Map<String, MultiGauge> database = new LinkedHashMap<>();
    private final MultiGauge databaseSize;
    private final MultiGauge activity;
    private final MultiGauge replicationBytes;
    // read by gauges on the scrape thread right after collect() on that same thread; volatile for other readers
    private volatile double up;
    private volatile double maxConnections = Double.NaN;
    private volatile double replicationLag = Double.NaN;
    private volatile double isReplica = Double.NaN;
    private volatile double streaming = Double.NaN;
    private volatile ArchiveStatus archive; // null until read, or when postgres does not answer

    public PgMetrics(MeterRegistry registry, int pgPort, Secret suPassword, Duration timeout) {
        this.pgPort = pgPort;
        this.password = suPassword;
        this.timeout = timeout;
        Gauge.builder("pg.up", () -> up)
                .description("Whether the last scrape could query postgres (1) or not (0)")
                .register(registry);
        Gauge.builder("pg.settings.max.connections", () -> maxConnections)
                .description("Server Parameter: max_connections")
                .register(registry);
        Gauge.builder("pg.replication.lag", () -> replicationLag)
                .description("Replication lag behind the leader in seconds (0 on the leader)")
                .register(registry);
        Gauge.builder("pg.replication.is.replica", () -> isReplica)
                .description("Whether postgres is a standby (1) or not (0)")
                .register(registry);
        Gauge.builder("pgha.replication.streaming", () -> streaming)
                .description("On a standby, whether its WAL receiver streams from the leader (1) or not (0)")
                .register(registry);
        for (String column : DATABASE_COLUMNS) {
            database.put(
                    column,
                    MultiGauge.builder("pg.stat.database." + column)
                            .description("pg_stat_database." + column)
                            .register(registry));
        }
        Gauge.builder("pg.stat.archiver.archived.count", () -> archive == null ? Double.NaN : archive.archivedCount())
                .description("Number of WAL files that have been successfully archived")
                .register(registry);
        Gauge.builder("pg.stat.archiver.failed.count", () -> archive == null ? Double.NaN : archive.failedCount())
                .description("Number of failed attempts for archiving WAL files")
                .register(registry);
        Gauge.builder(
                        "pg.stat.archiver.last.archive.age",
                        () -> archive == null ? Double.NaN : archive.lastArchiveAgeSeconds(Instant.now()))
                .description("Time in seconds since last WAL segment was successfully archived")
                .register(registry);
        databaseSize = MultiGauge.builder("pg.database.size.bytes")
                .description("Disk space used by the database")
                .register(registry);
        activity = MultiGauge.builder("pg.stat.activity.count")
                .description("Number of connections in this state")
                .register(registry);
        replicationBytes = MultiGauge.builder("pg.stat.replication.pg.wal.lsn.diff")
                .description("Bytes of WAL a standby has yet to replay")
                .register(registry);
    }

    /** Queries postgres once (one connection, bounded by the timeout) and updates every series. */
    public synchronized void collect() {
        try (Connection c = PgConnections.open("127.0.0.1", pgPort, password, timeout, timeout, "pgha-metrics");
                Statement st = c.createStatement()) {
            PgConnections.limitStatements(c, timeout);
            readDatabases(st);
            readActivity(st);
            try (ResultSet rs = st.executeQuery(SERVER_SQL)) {
                rs.next();
                maxConnections = rs.getInt(1);
                isReplica = rs.getBoolean(2) ? 1 : 0;
                replicationLag = rs.getDouble(3);
                boolean receiving = rs.getBoolean(4);
                streaming = rs.wasNull() ? Double.NaN : receiving ? 1 : 0;
            }
            List<MultiGauge.Row<?>> standbys = new ArrayList<>();
            try (ResultSet rs = st.executeQuery(REPLICATION_SQL)) {
                while (rs.next()) {
                    standbys.add(MultiGauge.Row.of(
                            Tags.of(
                                    "application_name",
                                    rs.getString(1),
                                    "client_addr",
                                    rs.getString(2),
                                    "state",
                                    rs.getString(3)),
                            rs.getDouble(4)));
                }
            }
            replicationBytes.register(standbys, true);
            archive = ArchiveStatus.read(c);
            up = 1;
        } catch (SQLException e) {
            down();
        }
    }

    private void readDatabases(Statement st) throws SQLException {
        Map<String, List<MultiGauge.Row<?>>> rows = new LinkedHashMap<>();
        List<MultiGauge.Row<?>> sizes = new ArrayList<>();
        try (ResultSet rs = st.executeQuery(DATABASE_SQL)) {
            while (rs.next()) {
                Tags tags = Tags.of("datid", rs.getString(1), "datname", rs.getString(2));
                for (int i = 0; i < DATABASE_COLUMNS.size(); i++) {
                    rows.computeIfAbsent(DATABASE_COLUMNS.get(i), k -> new ArrayList<>())
                            .add(MultiGauge.Row.of(tags, rs.getDouble(3 + i)));
                }
                sizes.add(MultiGauge.Row.of(
                        Tags.of("datname", rs.getString(2)), rs.getDouble(3 + DATABASE_COLUMNS.size())));
            }
        }
        database.forEach((column, gauge) -> gauge.register(rows.getOrDefault(column, List.of()), true));
        databaseSize.register(sizes, true);
    }

    private void readActivity(Statement st) throws SQLException {
        List<MultiGauge.Row<?>> rows = new ArrayList<>();
        try (ResultSet rs = st.executeQuery(ACTIVITY_SQL)) {
            while (rs.next()) {
                rows.add(MultiGauge.Row.of(
                        Tags.of("datname", rs.getString(1), "state", rs.getString(2)), rs.getDouble(3)));
            }
        }
        activity.register(rows, true);
    }

    private void down() {
        up = 0;
        maxConnections = Double.NaN;
        replicationLag = Double.NaN;
        isReplica = Double.NaN;
        streaming = Double.NaN;
        archive = null;
        database.values().forEach(g -> g.register(List.of(), true));
        databaseSize.register(List.of(), true);
        activity.register(List.of(), true);
        replicationBytes.register(List.of(), true);
    }
}
