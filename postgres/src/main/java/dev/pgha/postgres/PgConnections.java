package dev.pgha.postgres;

import dev.pgha.common.PghaException;
import dev.pgha.common.secret.Credentials;
import dev.pgha.common.secret.Secret;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Properties;
import org.postgresql.Driver;

/**
 * Connections to postgres as pgha's superuser (flypgadmin), shared by the keeper, the health checks, the metrics and
 * the CLI. Identifiers and literals only ever reach SQL through {@code format('%I'/'%L')} or bind parameters.
 */
public final class PgConnections {
    private static volatile Path trustedCa;

    private PgConnections() {}

    /**
     * The CA (PGHA_TLS_CA_FILE) every other member's postgres certificate must chain to; null: encrypted but
     * unverified (self-signed certificates). Set once by the application when it starts.
     */
    public static void trustCa(Path caFile) {
        trustedCa = caFile;
    }

    /** The loopback address pg_hba.conf admits without TLS: 127.0.0.1, ::1 or localhost. */
    public static boolean loopback(String host) {
        return host.equals("localhost") || host.equals("127.0.0.1") || host.equals("::1") || host.equals("[::1]");
    }

    /**
     * A connection as the superuser pgha uses, to database postgres on {@code host:port}.
     *
     * @param connectTimeout bound on connecting (pgjdbc counts whole seconds; at least 1)
     * @param socketTimeout  bound on each statement's answer (at least 1 s)
     */
    public static Connection open(
            String host,
            int port,
            Secret password,
            Duration connectTimeout,
            Duration socketTimeout,
            String applicationName)
            throws SQLException {
        return open(host, port, "postgres", password, connectTimeout, socketTimeout, applicationName);
    }

    /** The same, to {@code database}. */
    public static Connection open(
            String host,
            int port,
            String database,
            Secret password,
            Duration connectTimeout,
            Duration socketTimeout,
            String applicationName)
            throws SQLException {
        Properties props = new Properties();
        props.setProperty("user", Credentials.SU_ROLE);
        props.setProperty("password", password.reveal());
        if (loopback(host)) {
            // this node's own postgres: loopback never leaves the machine, and pg_hba admits it without TLS
            props.setProperty("sslmode", "disable");
            // never answers a request for the password in cleartext or as MD5 (PasswordGuardSocketFactory)
            props.setProperty("socketFactory", PasswordGuardSocketFactory.class.getName());
        } else {
            // another member: TLS always (pg_hba requires it of superusers), verified when the operator gave a CA
            props.setProperty("sslmode", "require");
            props.setProperty("sslfactory", GuardedSslSocketFactory.class.getName());
            Path ca = trustedCa;
            if (ca != null) {
                props.setProperty("sslrootcert", ca.toString());
            }
        }
        props.setProperty("connectTimeout", Long.toString(Math.max(1, connectTimeout.toSeconds())));
        props.setProperty("socketTimeout", Long.toString(Math.max(1, socketTimeout.toSeconds())));
        props.setProperty("ApplicationName", applicationName);
        // pgha's sessions set passwords (CREATE/ALTER ROLE … PASSWORD): postgres never echoes one of their statements
        // into its log, not after an error and not with log_statement
        props.setProperty("options", "-c log_min_error_statement=panic -c log_statement=none");
        // URL-encoded (pgjdbc decodes it): any database name works, and none can change the rest of the URL
        Connection c = new Driver()
                .connect(
                        "jdbc:postgresql://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + port + "/"
                                + URLEncoder.encode(database, StandardCharsets.UTF_8),
                        props);
        if (c == null) {
            throw new PghaException("the PostgreSQL JDBC driver refused the connection URL");
        }
        return c;
    }

    /** Bounds every later statement on {@code c} to {@code timeout} (statement_timeout, set through a bind parameter). */
    public static void limitStatements(Connection c, Duration timeout) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT set_config('statement_timeout', ?, false)")) {
            ps.setString(1, Math.max(1, timeout.toMillis()) + "ms");
            ps.executeQuery().close();
        }
    }

    /** Builds a utility statement with format() on the server (quote_ident/quote_literal), then runs it. */
    public static void executeFormatted(Connection c, String formatQuery, String... args) throws SQLException {
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
}
