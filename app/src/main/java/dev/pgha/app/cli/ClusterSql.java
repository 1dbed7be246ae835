package dev.pgha.app.cli;

import dev.pgha.common.PghaException;
import dev.pgha.postgres.PgConnections;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.postgresql.util.PasswordUtil;

/**
 * The SQL behind users, db, attach and detach, run on the leader. Every identifier and literal reaches SQL only
 * through format('%I'/'%L') on the server or bind parameters; passwords go in as SCRAM verifiers computed here,
 * so their plain text is never in a statement or a server log.
 */
final class ClusterSql {
    private static final SecureRandom RANDOM = new SecureRandom();

    private ClusterSql() {}

    record User(String name, boolean superuser, boolean replication, List<String> databases) {}

    record Database(String name, String owner, long sizeBytes) {}

    /** 24 random bytes (192 bits) as hex: URL-safe, no quoting needed anywhere. */
    static String newPassword() {
        byte[] b = new byte[24];
        RANDOM.nextBytes(b);
        return HexFormat.of().formatHex(b);
    }

    static List<User> users(Connection c) throws SQLException {
        List<User> users = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("""
                SELECT r.rolname, r.rolsuper, r.rolreplication,
                       COALESCE((SELECT string_agg(d.datname, ',' ORDER BY d.datname) FROM pg_database d
                                  WHERE d.datallowconn AND NOT d.datistemplate
                                    AND has_database_privilege(r.oid, d.oid, 'CONNECT')), '')
                  FROM pg_roles r WHERE r.rolcanlogin ORDER BY r.rolname""");
                ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                String dbs = rs.getString(4);
                users.add(new User(
                        rs.getString(1),
                        rs.getBoolean(2),
                        rs.getBoolean(3),
                        dbs.isEmpty() ? List.of() : List.of(dbs.split(","))));
            }
        }
        return users;
    }

    static List<Database> databases(Connection c) throws SQLException {
        List<Database> dbs = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("""
                SELECT datname, pg_get_userbyid(datdba), pg_database_size(oid) FROM pg_database
                 WHERE NOT datistemplate ORDER BY datname""");
                ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                dbs.add(new Database(rs.getString(1), rs.getString(2), rs.getLong(3)));
            }
        }
        return dbs;
    }

    static boolean roleExists(Connection c, String name) throws SQLException {
        return exists(c, "SELECT 1 FROM pg_roles WHERE rolname = ?", name);
    }

    static boolean databaseExists(Connection c, String name) throws SQLException {
        return exists(c, "SELECT 1 FROM pg_database WHERE datname = ?", name);
    }

    static int connections(Connection c, String database) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = ? " + "AND pid <> pg_backend_pid()")) {
            ps.setString(1, database);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getInt(1);
            }
        }
    }

    static void createUser(Connection c, String name, String password, boolean superuser) throws SQLException {
        String verifier = PasswordUtil.encodeScramSha256(password.toCharArray());
        // the attribute list is one of two constants, never input
        PgConnections.executeFormatted(
                c,
                "SELECT format('CREATE ROLE %I WITH LOGIN " + (superuser ? "SUPERUSER" : "NOSUPERUSER")
                        + " PASSWORD %L', ?::text, ?::text)",
                name,
                verifier);
    }

    /**
     * A database only its owner (and superusers) may connect to: postgres grants CONNECT to PUBLIC by default, which
     * would let every app's user into every other app's database.
     */
    static void createDatabase(Connection c, String name, String owner) throws SQLException {
        PgConnections.executeFormatted(
                c, "SELECT format('CREATE DATABASE %I OWNER %I', ?::text, ?::text)", name, owner);
        PgConnections.executeFormatted(
                c, "SELECT format('REVOKE CONNECT, TEMPORARY ON DATABASE %I FROM PUBLIC', ?::text)", name);
        PgConnections.executeFormatted(
                c, "SELECT format('GRANT CONNECT, TEMPORARY ON DATABASE %I TO %I', ?::text, ?::text)", name, owner);
    }

    static void dropDatabase(Connection c, String name, boolean force) throws SQLException {
        PgConnections.executeFormatted(
                c, "SELECT format('DROP DATABASE %I" + (force ? " WITH (FORCE)" : "") + "', ?::text)", name);
    }

    /** The user can no longer log in (its sessions go on until ended). */
    static void disableLogin(Connection c, String user) throws SQLException {
        PgConnections.executeFormatted(c, "SELECT format('ALTER ROLE %I NOLOGIN', ?::text)", user);
    }

    /** Ends the user's sessions, so that its credentials stop working at once. */
    static void terminateSessions(Connection c, String user) throws SQLException {
        try (PreparedStatement ps =
                c.prepareStatement("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE usename = ?")) {
            ps.setString(1, user);
            ps.executeQuery().close();
        }
    }

    /** In the connected database: what {@code user} owns goes to {@code heir}, and its privileges are revoked. */
    static void disown(Connection c, String user, String heir) throws SQLException {
        PgConnections.executeFormatted(c, "SELECT format('REASSIGN OWNED BY %I TO %I', ?::text, ?::text)", user, heir);
        PgConnections.executeFormatted(c, "SELECT format('DROP OWNED BY %I', ?::text)", user);
    }

    static void dropUser(Connection c, String name) throws SQLException {
        PgConnections.executeFormatted(c, "SELECT format('DROP ROLE %I', ?::text)", name);
    }

    /** Databases a role could have objects in: every one that accepts connections. */
    static List<String> connectableDatabases(Connection c) throws SQLException {
        List<String> names = new ArrayList<>();
        try (PreparedStatement ps =
                        c.prepareStatement("SELECT datname FROM pg_database WHERE datallowconn ORDER BY 1");
                ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                names.add(rs.getString(1));
            }
        }
        return names;
    }

    private static boolean exists(Connection c, String sql, String arg) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, arg);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next();
            }
        }
    }

    /** A failed statement as one line naming what was being done. */
    static PghaException failed(String what, SQLException e) {
        return new PghaException(what + ": "
                + (e.getMessage() == null ? e.toString() : e.getMessage().replace('\n', ' ')));
    }
}
