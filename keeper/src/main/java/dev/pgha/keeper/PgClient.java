package dev.pgha.keeper;

import dev.pgha.common.model.Lsn;
import dev.pgha.common.model.Role;
import dev.pgha.common.secret.Credentials;
import dev.pgha.common.secret.Secret;
import dev.pgha.postgres.PgConnections;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.postgresql.util.PasswordUtil;

/**
 * The keeper's own connection to the local postgres, as the superuser flypgadmin over loopback. Identifiers and
 * literals only ever reach SQL through {@code format('%I'/'%L')} or bind parameters; passwords are sent as SCRAM
 * verifiers computed here, so their plain text is never in a statement (or in a server log).
 */
public final class PgClient implements AutoCloseable {
    private static final String STATUS_SQL = """
            SELECT pg_is_in_recovery(),
                   CASE WHEN pg_is_in_recovery() THEN 0
                        ELSE pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::bigint END,
                   COALESCE(pg_wal_lsn_diff(pg_last_wal_receive_lsn(), '0/0')::bigint, 0),
                   COALESCE(pg_wal_lsn_diff(pg_last_wal_replay_lsn(), '0/0')::bigint, 0),
                   CASE WHEN pg_is_in_recovery()
                        THEN COALESCE((SELECT received_tli FROM pg_stat_wal_receiver),
                                      (SELECT timeline_id FROM pg_control_checkpoint()))
                        ELSE ('x' || substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8))::bit(32)::int END,
                   EXISTS (SELECT 1 FROM pg_stat_wal_receiver WHERE status = 'streaming'),
                   current_setting('synchronous_standby_names'),
                   (SELECT COALESCE(string_agg(application_name, ',' ORDER BY application_name), '')
                      FROM pg_stat_replication WHERE state = 'streaming'),
                   current_setting('default_transaction_read_only') = 'on',
                   pg_is_in_recovery()
                     AND current_setting('primary_conninfo') = ''
                     AND NOT EXISTS (SELECT 1 FROM pg_stat_activity WHERE backend_type = 'walreceiver')
                     AND (pg_last_wal_receive_lsn() IS NOT NULL
                          OR EXISTS (SELECT 1 FROM pg_stat_activity
                                      WHERE backend_type = 'startup'
                                        AND wait_event = 'RecoveryRetrieveRetryInterval')),
                   COALESCE((SELECT pg_wal_lsn_diff(latest_end_lsn, '0/0')::bigint FROM pg_stat_wal_receiver), 0)
            """;

    /** How often {@link #promote} looks whether postgres has left recovery. */
    private static final Duration PROMOTE_POLL = Duration.ofMillis(5);

    private final String host;
    private final int port;
    private final Secret password;
    private Connection connection;

    /** The local postgres, over loopback. */
    public PgClient(int port, Secret suPassword) {
        this("127.0.0.1", port, suPassword);
    }

    /** Another member's postgres (e.g. the leader a rejoining member rewinds from). */
    public PgClient(String host, int port, Secret suPassword) {
        this.host = host;
        this.port = port;
        this.password = suPassword;
    }

    /**
     * What postgres reports about itself.
     *
     * @param walReceiverStreaming  standby: its WAL receiver streams from the primary right now
     * @param synchronousSetting    synchronous_standby_names as postgres runs it
     * @param streaming             primary: application names of standbys that have caught up
     * @param defaultReadOnly       default_transaction_read_only is on (pgha sets it when the disk is full)
     * @param walSettled            standby: its WAL positions can no longer move. No upstream is configured (as this
     *                              session's own reload shows, so the startup process was signalled too) and no WAL
     *                              receiver process runs (not even one still connecting, which pg_stat_wal_receiver
     *                              would not show); then the received position is where its WAL ends. One that has
     *                              received nothing since it started must also have replayed all it holds: its
     *                              startup process sleeps between attempts to find more WAL. (A standby whose replay
     *                              waits on a conflicting query is settled all the same: what it received is final.)
     * @param upstreamWalEnd        standby: where its WAL sender last said the upstream's WAL ends
     *                              (pg_stat_wal_receiver.latest_end_lsn); 0 when no WAL receiver runs
     */
    public record PgState(
            boolean inRecovery,
            long writtenLsn,
            long receivedLsn,
            long replayedLsn,
            long timeline,
            boolean walReceiverStreaming,
            String synchronousSetting,
            List<String> streaming,
            boolean defaultReadOnly,
            boolean walSettled,
            long upstreamWalEnd) {}

    /**
     * The connection was lost or ended by a shutdown (class 08, 57P01, 57P02); not 57P03, "not accepting connections
     * yet" (postgres is starting).
     */
    static boolean connectionEnded(SQLException e) {
        String state = e.getSQLState() == null ? "" : e.getSQLState();
        return state.startsWith("08") || state.equals("57P01") || state.equals("57P02");
    }

    /** The role a postgres that reported {@code state} plays (NONE when it does not answer). */
    static Role roleOf(PgState state) {
        return state == null ? Role.NONE : state.inRecovery() ? Role.STANDBY : Role.PRIMARY;
    }

    /**
     * Asks postgres for its {@link PgState}, every heartbeat, so as a prepared statement: pgjdbc keeps its parse
     * per connection (a plain statement's text is parsed again on every run), and from the fifth run on postgres
     * executes its saved plan instead of parsing and planning the query again.
     */
    public PgState state() throws SQLException {
        return call(c -> {
            try (PreparedStatement st = c.prepareStatement(STATUS_SQL);
                    ResultSet rs = st.executeQuery()) {
                rs.next();
                String agg = rs.getString(8);
                return new PgState(
                        rs.getBoolean(1),
                        rs.getLong(2),
                        rs.getLong(3),
                        rs.getLong(4),
                        rs.getLong(5),
                        rs.getBoolean(6),
                        rs.getString(7),
                        agg.isEmpty() ? List.of() : List.of(agg.split(",")),
                        rs.getBoolean(9),
                        rs.getBoolean(10),
                        rs.getLong(11));
            }
        });
    }

    /**
     * Promotes the standby and returns once it accepts writes (false: not within {@code timeoutSeconds}).
     * pg_promote's own wait looks every 100 ms, longer than the promotion itself takes (about 45 ms here), and a
     * failover waits on it: this signals without waiting and looks every {@link #PROMOTE_POLL} instead.
     */
    public boolean promote(int timeoutSeconds) throws SQLException {
        return call(c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT pg_promote(false)");
                    ResultSet rs = ps.executeQuery()) {
                rs.next();
                if (!rs.getBoolean(1)) {
                    return false; // postgres logged why (e.g. could not signal the postmaster)
                }
            }
            long deadline =
                    System.nanoTime() + Duration.ofSeconds(timeoutSeconds).toNanos();
            try (PreparedStatement ps = c.prepareStatement("SELECT pg_is_in_recovery()")) {
                while (true) {
                    try (ResultSet rs = ps.executeQuery()) {
                        rs.next();
                        if (!rs.getBoolean(1)) {
                            return true;
                        }
                    }
                    if (System.nanoTime() - deadline >= 0) {
                        return false;
                    }
                    try {
                        Thread.sleep(PROMOTE_POLL.toMillis());
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new SQLException("interrupted while waiting for the promotion", e);
                    }
                }
            }
        });
    }

    /**
     * CHECKPOINT: after a promotion the control file names the new timeline only once a checkpoint has completed,
     * and pg_rewind reads the timeline from there (without it, it wrongly finds "no rewind required").
     */
    public void checkpoint() throws SQLException {
        call(c -> execute(c, "CHECKPOINT"));
    }

    /** Roles that are superusers and may log in (pg_hba.conf requires TLS of them off loopback). */
    public Set<String> loginSuperusers() throws SQLException {
        return call(c -> {
            Set<String> names = new TreeSet<>();
            try (Statement st = c.createStatement();
                    ResultSet rs = st.executeQuery("SELECT rolname FROM pg_roles WHERE rolsuper AND rolcanlogin")) {
                while (rs.next()) {
                    names.add(rs.getString(1));
                }
            }
            return names;
        });
    }

    /** What postgres finds wrong in pg_hba.conf as it is on disk now ("line N: error"), before it is loaded. */
    public List<String> hbaFileErrors() throws SQLException {
        return call(c -> {
            List<String> errors = new ArrayList<>();
            try (Statement st = c.createStatement();
                    ResultSet rs = st.executeQuery("SELECT line_number, error FROM pg_hba_file_rules "
                            + "WHERE error IS NOT NULL ORDER BY line_number")) {
                while (rs.next()) {
                    errors.add("line " + rs.getInt(1) + ": " + rs.getString(2));
                }
            }
            return errors;
        });
    }

    /** Makes postgres re-read its configuration files. */
    public void reload() throws SQLException {
        call(c -> execute(c, "SELECT pg_reload_conf()"));
    }

    /**
     * Applies parameters set through `pgha config set` (ALTER SYSTEM, so they survive restarts; allowed on a standby
     * too, as it writes no WAL): each of {@code set} is set, each of {@code reset} is reset, then postgres reloads.
     */
    public void applyParameters(Map<String, String> set, Collection<String> reset) throws SQLException {
        call(c -> {
            for (Map.Entry<String, String> e : set.entrySet()) {
                PgConnections.executeFormatted(
                        c, "SELECT format('ALTER SYSTEM SET %I TO %L', ?::text, ?::text)", e.getKey(), e.getValue());
            }
            for (String name : reset) {
                PgConnections.executeFormatted(c, "SELECT format('ALTER SYSTEM RESET %I', ?::text)", name);
            }
            return execute(c, "SELECT pg_reload_conf()");
        });
    }

    /** Sets synchronous_standby_names (ALTER SYSTEM, so it survives restarts) and reloads. */
    public void setSynchronousStandbyNames(String value) throws SQLException {
        call(c -> {
            PgConnections.executeFormatted(
                    c, "SELECT format('ALTER SYSTEM SET synchronous_standby_names TO %L', ?::text)", value);
            execute(c, "SELECT pg_reload_conf()");
            // Commits already waiting are released only when a standby next reports its position, which an idle
            // standby does every wal_receiver_status_interval: a little WAL (a logical message outside any
            // transaction, so it waits for nobody) makes the standbys report at once. Without it, commits that
            // waited for ANY 2 stayed stuck for seconds after the setting had become ANY 1 (the chaos suite).
            return execute(c, "SELECT pg_logical_emit_message(false, 'pgha', 'synchronous_standby_names')");
        });
    }

    /** A standby named in {@code names} has flushed WAL past {@code lsn} (pg_stat_replication's flush_lsn). */
    public boolean anyFlushedPast(List<String> names, long lsn) throws SQLException {
        return call(c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT EXISTS (SELECT 1 FROM pg_stat_replication"
                    + " WHERE application_name = ANY (?) AND flush_lsn >= ?::pg_lsn)")) {
                ps.setArray(1, c.createArrayOf("text", names.toArray()));
                ps.setString(2, Lsn.format(lsn));
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    return rs.getBoolean(1);
                }
            }
        });
    }

    /** Where replication slot {@code slot} keeps WAL from (restart_lsn); 0 when there is no such slot or it holds none. */
    public long slotRestartLsn(String slot) throws SQLException {
        return call(c -> {
            try (PreparedStatement ps =
                    c.prepareStatement("SELECT restart_lsn::text FROM pg_replication_slots WHERE slot_name = ?")) {
                ps.setString(1, slot);
                try (ResultSet rs = ps.executeQuery()) {
                    String lsn = rs.next() ? rs.getString(1) : null;
                    return lsn == null ? 0L : Lsn.parse(lsn);
                }
            }
        });
    }

    /** A standby's replay position (pg_last_wal_replay_lsn); 0 on a server that is not in recovery. */
    public long replayedLsn() throws SQLException {
        return call(c -> {
            try (Statement st = c.createStatement();
                    ResultSet rs = st.executeQuery("SELECT pg_last_wal_replay_lsn()::text")) {
                String lsn = rs.next() ? rs.getString(1) : null;
                return lsn == null ? 0L : Lsn.parse(lsn);
            }
        });
    }

    /** What {@link #reconcileSlots} changed. */
    public record SlotChanges(List<String> created, List<String> dropped) {}

    /**
     * Makes pgha's physical replication slots (named pgha_*) exactly {@code wanted}: creates the missing ones,
     * reserving WAL at once, and drops inactive ones no longer wanted (slots of removed members, which would hold
     * WAL back until the disk fills). One look at pg_replication_slots serves both.
     */
    public SlotChanges reconcileSlots(Collection<String> wanted) throws SQLException {
        return call(c -> {
            Set<String> existing = new HashSet<>();
            List<String> stale = new ArrayList<>();
            try (PreparedStatement st = c.prepareStatement( // every heartbeat of a leader: prepared, as in state()
                            "SELECT slot_name, active FROM pg_replication_slots WHERE slot_type = 'physical'");
                    ResultSet rs = st.executeQuery()) {
                while (rs.next()) {
                    String name = rs.getString(1);
                    existing.add(name);
                    if (!rs.getBoolean(2) && name.startsWith("pgha_") && !wanted.contains(name)) {
                        stale.add(name);
                    }
                }
            }
            List<String> created = new ArrayList<>();
            for (String name : wanted) {
                if (!existing.contains(name)) {
                    try (PreparedStatement ps =
                            c.prepareStatement("SELECT pg_create_physical_replication_slot(?, true)")) {
                        ps.setString(1, name);
                        ps.execute();
                    }
                    created.add(name);
                }
            }
            for (String name : stale) {
                try (PreparedStatement ps = c.prepareStatement("SELECT pg_drop_replication_slot(?)")) {
                    ps.setString(1, name);
                    ps.execute();
                }
            }
            return new SlotChanges(created, stale);
        });
    }

    /**
     * Turns default_transaction_read_only on or off (ALTER SYSTEM, so a restart keeps it) and reloads: every session
     * that did not SET it itself follows at its next transaction.
     */
    public void setDefaultReadOnly(boolean on) throws SQLException {
        call(c -> {
            execute(
                    c,
                    on
                            ? "ALTER SYSTEM SET default_transaction_read_only TO on"
                            : "ALTER SYSTEM RESET default_transaction_read_only");
            return execute(c, "SELECT pg_reload_conf()");
        });
    }

    /**
     * Creates pgha's roles when missing (repluser for replication, postgres for the operator) and sets all three
     * passwords to the configured ones. Only on a primary.
     */
    public void ensureRoles(Credentials credentials) throws SQLException {
        call(c -> {
            if (rolesInPlace(c, credentials)) {
                return null; // most often a promotion: the roles came with the data, as configured
            }
            // One transaction that does not wait for a synchronous standby: standbys need repluser's password to
            // join, so waiting for one here would deadlock a strict cluster's bootstrap, and block the keeper's loop
            // whenever the named standbys are away. Every new leader runs this again, so nothing depends on the
            // commit reaching a standby.
            c.setAutoCommit(false);
            try {
                execute(c, "SET LOCAL synchronous_commit TO local");
                ensureRole(c, Credentials.REPL_ROLE, "LOGIN REPLICATION");
                ensureRole(c, Credentials.OPERATOR_ROLE, "LOGIN SUPERUSER");
                setPassword(c, Credentials.SU_ROLE, credentials.suPassword());
                setPassword(c, Credentials.REPL_ROLE, credentials.replPassword());
                setPassword(c, Credentials.OPERATOR_ROLE, credentials.operatorPassword());
                c.commit();
                c.setAutoCommit(true);
            } catch (SQLException e) {
                try {
                    c.rollback();
                } catch (SQLException ignored) {
                    // the connection is dropped anyway after a failure
                }
                throw e;
            }
            return null;
        });
    }

    /** Whether pgha's roles have the configured passwords; read-only, so on a standby too. */
    public boolean rolesVerified(Credentials credentials) throws SQLException {
        return call(c -> rolesInPlace(c, credentials));
    }

    /** Work on the connection; a failure drops the connection, so the next call starts from a fresh one. */
    private interface Work<T> {
        T run(Connection c) throws SQLException;
    }

    private <T> T call(Work<T> work) throws SQLException {
        try {
            return work.run(connection());
        } catch (SQLException e) {
            reset();
            throw e;
        }
    }

    /** Runs a fixed statement (never one built from input). */
    private static Void execute(Connection c, String sql) throws SQLException {
        try (Statement st = c.createStatement()) {
            st.execute(sql);
        }
        return null;
    }

    /**
     * pgha's three roles exist with the configured passwords (each SCRAM verifier checked with its own salt): nothing to
     * write, no transaction to commit. One query and three verifier computations instead of ten statements and a
     * commit, on the way from a promotion to the new leader's first client.
     */
    private static boolean rolesInPlace(Connection c, Credentials credentials) throws SQLException {
        Map<String, Secret> wanted = Map.of(
                Credentials.SU_ROLE, credentials.suPassword(),
                Credentials.REPL_ROLE, credentials.replPassword(),
                Credentials.OPERATOR_ROLE, credentials.operatorPassword());
        Map<String, String> stored = new HashMap<>();
        try (PreparedStatement st =
                c.prepareStatement("SELECT rolname, rolpassword FROM pg_authid WHERE rolname = ANY (?)")) {
            st.setArray(1, c.createArrayOf("text", wanted.keySet().toArray()));
            try (ResultSet rs = st.executeQuery()) {
                while (rs.next()) {
                    stored.put(rs.getString(1), rs.getString(2));
                }
            }
        }
        return wanted.entrySet().stream().allMatch(e -> ScramVerifier.matches(stored.get(e.getKey()), e.getValue()));
    }

    private static void ensureRole(Connection c, String role, String attributes) throws SQLException {
        try (PreparedStatement exists = c.prepareStatement("SELECT 1 FROM pg_roles WHERE rolname = ?")) {
            exists.setString(1, role);
            try (ResultSet rs = exists.executeQuery()) {
                if (rs.next()) {
                    return;
                }
            }
        }
        // attributes is one of this class's constants, never input
        PgConnections.executeFormatted(c, "SELECT format('CREATE ROLE %I WITH " + attributes + "', ?::text)", role);
    }

    private static void setPassword(Connection c, String role, Secret password) throws SQLException {
        String verifier = PasswordUtil.encodeScramSha256(password.revealChars());
        PgConnections.executeFormatted(
                c, "SELECT format('ALTER ROLE %I WITH PASSWORD %L', ?::text, ?::text)", role, verifier);
    }

    private Connection connection() throws SQLException {
        if (connection != null && !connection.isClosed()) {
            return connection;
        }
        connection =
                PgConnections.open(host, port, password, Duration.ofSeconds(5), Duration.ofSeconds(30), "pgha-keeper");
        return connection;
    }

    private void reset() {
        close();
    }

    @Override
    public void close() {
        if (connection != null) {
            try {
                connection.close();
            } catch (SQLException ignored) {
                // closing a broken connection
            }
            connection = null;
        }
    }
}
