package dev.pgha.keeper;

import dev.pgha.common.PghaException;
import dev.pgha.common.secret.Credentials;
import dev.pgha.common.secret.Secret;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Properties;
import org.postgresql.Driver;
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
                   (SELECT timeline_id FROM pg_control_checkpoint())
            """;

    private final int port;
    private final Secret password;
    private Connection connection;

    public PgClient(int port, Secret suPassword) {
        this.port = port;
        this.password = suPassword;
    }

    /** What postgres reports about itself. */
    public record PgState(boolean inRecovery, long writtenLsn, long receivedLsn, long replayedLsn, long timeline) {
    }

    public PgState state() throws SQLException {
        try (Statement st = connection().createStatement(); ResultSet rs = st.executeQuery(STATUS_SQL)) {
            rs.next();
            return new PgState(rs.getBoolean(1), rs.getLong(2), rs.getLong(3), rs.getLong(4), rs.getLong(5));
        } catch (SQLException e) {
            reset();
            throw e;
        }
    }

    /**
     * Creates pgha's roles when missing (repluser for replication, postgres for the operator) and sets all three
     * passwords to the configured ones. Only on a primary.
     */
    public void ensureRoles(Credentials credentials) throws SQLException {
        try {
            Connection c = connection();
            ensureRole(c, Credentials.REPL_ROLE, "LOGIN REPLICATION");
            ensureRole(c, Credentials.OPERATOR_ROLE, "LOGIN SUPERUSER");
            setPassword(c, Credentials.SU_ROLE, credentials.suPassword());
            setPassword(c, Credentials.REPL_ROLE, credentials.replPassword());
            setPassword(c, Credentials.OPERATOR_ROLE, credentials.operatorPassword());
        } catch (SQLException e) {
            reset();
            throw e;
        }
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
        executeFormatted(c, "SELECT format('CREATE ROLE %I WITH " + attributes + "', ?::text)", role);
    }

    private static void setPassword(Connection c, String role, Secret password) throws SQLException {
        String verifier = PasswordUtil.encodeScramSha256(password.revealChars());
        executeFormatted(c, "SELECT format('ALTER ROLE %I WITH PASSWORD %L', ?::text, ?::text)", role, verifier);
    }

    /** Builds a utility statement with format() on the server (quote_ident/quote_literal), then runs it. */
    private static void executeFormatted(Connection c, String formatQuery, String... args) throws SQLException {
        String statement;
        try (PreparedStatement ps = c.prepareStatement(formatQuery)) {
            for (int i = 0; i < args.length; i++) {
                ps.setString(i + 1, args[i]);
            }
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                statement = rs.getString(1);
            }
        }
        try (Statement st = c.createStatement()) {
            st.execute(statement);
        }
    }

    private Connection connection() throws SQLException {
        if (connection != null && !connection.isClosed()) {
            return connection;
        }
        Properties props = new Properties();
        props.setProperty("user", Credentials.SU_ROLE);
        props.setProperty("password", password.reveal());
        props.setProperty("sslmode", "disable");
        props.setProperty("connectTimeout", "5");
        props.setProperty("socketTimeout", "30");
        props.setProperty("ApplicationName", "pgha-keeper");
        Connection c = new Driver().connect("jdbc:postgresql://127.0.0.1:" + port + "/postgres", props);
        if (c == null) {
            throw new PghaException("the PostgreSQL JDBC driver refused the keeper's connection URL");
        }
        connection = c;
        return c;
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
