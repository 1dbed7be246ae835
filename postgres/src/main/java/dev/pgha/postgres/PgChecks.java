package dev.pgha.postgres;

import dev.pgha.common.config.PghaConfig;
import dev.pgha.common.health.CheckReport;
import dev.pgha.common.health.CheckReport.Outcome;
import dev.pgha.common.health.CheckResult;
import dev.pgha.common.health.Formats;
import dev.pgha.common.model.ClusterView;
import dev.pgha.common.model.Lsn;
import dev.pgha.common.model.MemberInfo;
import dev.pgha.common.secret.Secret;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * The postgres side of the health checks, run on demand by the health endpoints: /flycheck/pg (Fly's lines:
 * "replication: currently leader", "leader check: connected", "replication lag: …", "connections: …") and the
 * local state behind /flycheck/role and the Patroni-style endpoints. Every connection and statement is bounded by
 * {@code health.checkTimeout}; one check uses at most one connection to the local postgres (plus one to the leader
 * on a standby).
 */
public final class PgChecks {
    private static final String LOCAL_SQL = """
            SELECT pg_is_in_recovery(), current_setting('transaction_read_only') = 'on',
                   CASE WHEN pg_is_in_recovery() THEN COALESCE(pg_wal_lsn_diff(pg_last_wal_replay_lsn(), '0/0')::bigint, 0)
                        ELSE pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::bigint END,
                   (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend'),
                   current_setting('superuser_reserved_connections')::int,
                   current_setting('max_connections')::int,
                   CASE WHEN pg_last_wal_receive_lsn() IS NOT DISTINCT FROM pg_last_wal_replay_lsn() THEN 0
                        ELSE GREATEST(0, EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp())) END
            """;
    private static final String STANDBYS_SQL = """
            SELECT application_name, state,
                   COALESCE(pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn)::bigint, -1),
                   COALESCE(EXTRACT(EPOCH FROM replay_lag), 0)
              FROM pg_stat_replication ORDER BY application_name
            """;
    /** Connections in use above this share of those available to ordinary users fail the check. */
    private static final double CONNECTIONS_BOUND = 0.9;

    private final String memberId;
    private final int pgPort;
    private final Secret password;
    private final PghaConfig.Health limits;
    private final Duration archiveMaxAge; // null: archiving is not pgha's (no backups configured)

    public PgChecks(String memberId, int pgPort, Secret suPassword, PghaConfig.Health limits) {
        this(memberId, pgPort, suPassword, limits, null);
    }

    /** @param archiveMaxAge backups are configured: the leader's archiving may fail this long (backup.archiveMaxAge) */
    public PgChecks(String memberId, int pgPort, Secret suPassword, PghaConfig.Health limits, Duration archiveMaxAge) {
        this.archiveMaxAge = archiveMaxAge;
        this.memberId = memberId;
        this.pgPort = pgPort;
        this.password = suPassword;
        this.limits = limits;
    }

    /** What the local postgres says about itself right now; empty when it does not answer in time. */
    public record LocalState(
            boolean inRecovery,
            boolean readOnly,
            long lsn,
            long connectionsUsed,
            int reservedConnections,
            int maxConnections,
            double replayDelaySeconds) {}

    public Optional<LocalState> local() {
        try (Connection c = connect("127.0.0.1", pgPort)) {
            return Optional.of(local(c));
        } catch (SQLException e) {
            return Optional.empty();
        }
    }

    /** /flycheck/pg for this member, given the view it runs under and the members' addresses. */
    public CheckReport flycheck(ClusterView view, Optional<MemberInfo> leaderInfo) {
        CheckReport report = new CheckReport();
        long start = System.nanoTime();
        try (Connection c = connect("127.0.0.1", pgPort)) {
            LocalState s = local(c);
            Duration reached = Duration.ofNanos(System.nanoTime() - start); // the first line carries the connect
            boolean leads = memberId.equals(view.leader());
            if (leads) {
                report.add(
                        s.inRecovery()
                                ? new CheckResult(
                                        false,
                                        "replication: this member leads but postgres is still in recovery",
                                        reached)
                                : new CheckResult(true, "replication: currently leader", reached));
                report.run(
                        "transactions",
                        () -> s.readOnly() || s.inRecovery()
                                ? Outcome.fail("transactions: readonly, but this member leads")
                                : Outcome.pass("transactions: read/write"));
                standbyLines(c, report);
                if (archiveMaxAge != null && !s.inRecovery()) {
                    report.run("wal archiving", () -> archiving(c));
                }
            } else {
                report.add(
                        s.inRecovery()
                                ? new CheckResult(true, "transactions: readonly", reached)
                                : new CheckResult(
                                        false,
                                        "transactions: read/write, but "
                                                + (view.leader() == null
                                                        ? "the cluster has no leader"
                                                        : "member " + view.leader() + " leads"),
                                        reached));
                leaderLines(view, leaderInfo, s, report);
            }
            report.run("connections", () -> connections(s));
        } catch (SQLException e) {
            report.add(new CheckResult(
                    false,
                    "postgres: not answering on port " + pgPort + " (" + reason(e) + ")",
                    Duration.ofNanos(System.nanoTime() - start)));
        }
        return report;
    }

    private void standbyLines(Connection c, CheckReport report) {
        try (Statement st = c.createStatement();
                ResultSet rs = st.executeQuery(STANDBYS_SQL)) {
            while (rs.next()) {
                String name = rs.getString(1);
                String state = rs.getString(2);
                long bytes = rs.getLong(3);
                double seconds = rs.getDouble(4);
                report.run("replication lag of " + name, () -> standbyLag(name, state, bytes, seconds));
            }
        } catch (SQLException e) {
            report.run("standbys", () -> Outcome.fail("standbys: cannot read pg_stat_replication (" + reason(e) + ")"));
        }
    }

    private Outcome standbyLag(String name, String state, long bytes, double seconds) {
        String lag = "replication lag of " + name + ": " + Formats.duration(seconds(seconds)) + ", "
                + (bytes < 0 ? "unknown WAL" : Formats.bytes(bytes)) + " behind (" + state + ")";
        String over = overLimit(seconds, bytes);
        return over == null ? Outcome.pass(lag) : Outcome.fail(lag + ": " + over);
    }

    private void leaderLines(ClusterView view, Optional<MemberInfo> leaderInfo, LocalState s, CheckReport report) {
        if (view.leader() == null) {
            report.run(
                    "leader check",
                    () -> Outcome.fail("leader check: the cluster has no leader right now (" + view.phase()
                            + (view.reason() == null ? "" : ": " + view.reason()) + ")"));
            return;
        }
        if (leaderInfo.isEmpty()) {
            report.run(
                    "leader check",
                    () -> Outcome.fail("leader check: leader " + view.leader() + " has no registered address"));
            return;
        }
        MemberInfo leader = leaderInfo.get();
        long[] leaderLsn = {-1};
        report.run("leader check", () -> {
            try (Connection lc = connect(leader.host(), leader.pgPort());
                    Statement st = lc.createStatement();
                    ResultSet rs = st.executeQuery("SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::bigint")) {
                rs.next();
                leaderLsn[0] = rs.getLong(1);
                return Outcome.pass("leader check: connected");
            } catch (SQLException e) {
                return Outcome.fail("leader check: cannot connect to leader " + leader.id() + " at " + leader.host()
                        + ":" + leader.pgPort() + " (" + reason(e) + ")");
            }
        });
        if (leaderLsn[0] < 0) {
            return;
        }
        // the leader's position was read first, so this never overstates the lag
        long bytes = Lsn.behind(leaderLsn[0], s.lsn());
        double seconds = bytes == 0 ? 0 : s.replayDelaySeconds();
        report.run("replication lag", () -> {
            String lag =
                    "replication lag: " + Formats.duration(seconds(seconds)) + ", " + Formats.bytes(bytes) + " behind";
            String over = overLimit(seconds, bytes);
            return over == null ? Outcome.pass(lag) : Outcome.fail(lag + ": " + over);
        });
    }

    private Outcome archiving(Connection c) {
        try {
            return ArchiveStatus.read(c).line(Instant.now(), archiveMaxAge);
        } catch (SQLException e) {
            return Outcome.fail("wal archiving: cannot read pg_stat_archiver (" + reason(e) + ")");
        }
    }

    private String overLimit(double seconds, long bytes) {
        if (seconds(seconds).compareTo(limits.maxReplicationLag()) > 0) {
            return "above " + Formats.duration(limits.maxReplicationLag()) + " (health.maxReplicationLag)";
        }
        if (bytes > limits.maxReplicationLagBytes()) {
            return "above " + Formats.bytes(limits.maxReplicationLagBytes()) + " (health.maxReplicationLagBytes)";
        }
        return null;
    }

    private static Outcome connections(LocalState s) {
        String line = "connections: " + s.connectionsUsed() + " used, " + s.reservedConnections() + " reserved, "
                + s.maxConnections() + " max";
        long available = s.maxConnections() - s.reservedConnections();
        return s.connectionsUsed() > CONNECTIONS_BOUND * available
                ? Outcome.fail(line + ": above 90% of the " + available + " open to applications")
                : Outcome.pass(line);
    }

    private static LocalState local(Connection c) throws SQLException {
        try (Statement st = c.createStatement();
                ResultSet rs = st.executeQuery(LOCAL_SQL)) {
            rs.next();
            return new LocalState(
                    rs.getBoolean(1),
                    rs.getBoolean(2),
                    rs.getLong(3),
                    rs.getLong(4),
                    rs.getInt(5),
                    rs.getInt(6),
                    rs.getDouble(7));
        }
    }

    private Connection connect(String host, int port) throws SQLException {
        Connection c =
                PgConnections.open(host, port, password, limits.checkTimeout(), limits.checkTimeout(), "pgha-check");
        try {
            PgConnections.limitStatements(c, limits.checkTimeout());
        } catch (SQLException e) {
            c.close();
            throw e;
        }
        return c;
    }

    private static Duration seconds(double s) {
        return Duration.ofNanos((long) (s * 1e9));
    }

    private static String reason(SQLException e) {
        String m = e.getMessage() == null ? e.toString() : e.getMessage();
        return m.replace('\n', ' ');
    }
}
