package dev.pgha.chaos;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import org.postgresql.util.PSQLException;

/**
 * Concurrent clients that connect through the nodes' proxies as an application would (every proxy in the URL, tried
 * in random order), reconnect after any error, and record every operation: append clients insert increasing
 * sequence numbers; register clients read the one register row and compare-and-set it to a value never written
 * before.
 */
final class Workload implements AutoCloseable {
    /** The postgres timeline this server writes on now (pg_control's lags behind a promotion until a checkpoint). */
    static final String TIMELINE = "('x' || substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8))::bit(32)::int";

    private static final long PACE_MS = 10;

    private final String url;
    private final Properties props;
    private final long t0;
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final List<Thread> threads = new ArrayList<>();
    final ConcurrentLinkedQueue<Op> history = new ConcurrentLinkedQueue<>();

    Workload(String url, long t0) {
        this.url = url;
        this.t0 = t0;
        this.props = ClusterUnderTest.properties(12);
        props.setProperty("loadBalanceHosts", "true");
    }

    static void createSchema(Connection c) throws SQLException {
        try (Statement st = c.createStatement()) {
            // No unique key on purpose: a write applied twice must show up as a duplicate, not as an error.
            st.execute("CREATE TABLE IF NOT EXISTS appends (n bigserial, client int NOT NULL, seq bigint NOT NULL)");
            st.execute("CREATE TABLE IF NOT EXISTS register (id int PRIMARY KEY, value bigint NOT NULL)");
            st.execute("INSERT INTO register VALUES (1, 0) ON CONFLICT DO NOTHING");
        }
    }

    void start(int appenders, int registers) {
        for (int c = 1; c <= appenders; c++) {
            int client = c;
            threads.add(daemon("append-" + c, () -> runAppender(client)));
        }
        for (int c = 1; c <= registers; c++) {
            int client = 100 + c;
            threads.add(daemon("register-" + c, () -> runRegister(client)));
        }
    }

    private static Thread daemon(String name, Runnable body) {
        Thread t = new Thread(body, name);
        t.setDaemon(true);
        t.start();
        return t;
    }

    private long now() {
        return System.nanoTime() - t0;
    }

    private void runAppender(int client) {
        long seq = 0;
        while (running.get()) {
            try (Connection c = DriverManager.getConnection(url, props);
                    PreparedStatement ps = c.prepareStatement("INSERT INTO appends (client, seq) VALUES (?, ?)"
                            + " RETURNING inet_server_addr()::text, " + TIMELINE
                            + ", pg_wal_lsn_diff(pg_current_wal_insert_lsn(), '0/0')::bigint")) {
                while (running.get()) {
                    seq++; // never reused: an unknown outcome may still have committed
                    long invoke = now();
                    try {
                        ps.setInt(1, client);
                        ps.setLong(2, seq);
                        try (ResultSet rs = ps.executeQuery()) {
                            rs.next();
                            history.add(Op.ok(
                                            client,
                                            Op.Kind.APPEND,
                                            seq,
                                            0,
                                            true,
                                            invoke,
                                            now(),
                                            rs.getString(1),
                                            rs.getInt(2))
                                    .withLsn(rs.getLong(3)));
                        }
                    } catch (SQLException e) {
                        history.add(
                                Op.notOk(client, Op.Kind.APPEND, seq, 0, invoke, now(), outcome(e), e.getMessage()));
                        break;
                    }
                    pace();
                }
            } catch (SQLException e) {
                pause(100); // could not connect: nothing was sent
            }
        }
    }

    private void runRegister(int client) {
        long next = 0;
        while (running.get()) {
            try (Connection c = DriverManager.getConnection(url, props);
                    PreparedStatement read = c.prepareStatement(
                            "SELECT value, inet_server_addr()::text, " + TIMELINE + " FROM register WHERE id = 1");
                    PreparedStatement cas =
                            c.prepareStatement("UPDATE register SET value = ? WHERE id = 1 AND value = ?"
                                    + " RETURNING inet_server_addr()::text, " + TIMELINE)) {
                while (running.get()) {
                    long invoke = now();
                    long seen;
                    try (ResultSet rs = read.executeQuery()) {
                        rs.next();
                        seen = rs.getLong(1);
                        history.add(Op.ok(
                                client, Op.Kind.READ, seen, 0, false, invoke, now(), rs.getString(2), rs.getInt(3)));
                    } catch (SQLException e) {
                        history.add(
                                Op.notOk(client, Op.Kind.READ, 0, 0, invoke, now(), Op.Outcome.FAILED, e.getMessage()));
                        break;
                    }
                    long value = client * 1_000_000_000L + ++next; // unique across the run
                    invoke = now();
                    try {
                        cas.setLong(1, value);
                        cas.setLong(2, seen);
                        try (ResultSet rs = cas.executeQuery()) {
                            boolean applied = rs.next();
                            history.add(Op.ok(
                                    client,
                                    Op.Kind.CAS,
                                    value,
                                    seen,
                                    applied,
                                    invoke,
                                    now(),
                                    applied ? rs.getString(1) : null,
                                    applied ? rs.getInt(2) : 0));
                        }
                    } catch (SQLException e) {
                        history.add(
                                Op.notOk(client, Op.Kind.CAS, value, seen, invoke, now(), outcome(e), e.getMessage()));
                        break;
                    }
                    pace();
                }
            } catch (SQLException e) {
                pause(100);
            }
        }
    }

    /**
     * An ERROR from the server means the statement (an autocommit transaction) was rolled back: FAILED. Anything
     * else after the statement was sent (FATAL, a broken or timed-out connection) leaves the commit unknown.
     */
    static Op.Outcome outcome(SQLException e) {
        if (e instanceof PSQLException p
                && p.getServerErrorMessage() != null
                && "ERROR".equals(p.getServerErrorMessage().getSeverity())) {
            return Op.Outcome.FAILED;
        }
        return Op.Outcome.UNKNOWN;
    }

    private static void pace() {
        pause(PACE_MS);
    }

    private static void pause(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() throws InterruptedException {
        running.set(false);
        for (Thread t : threads) {
            t.join(30_000);
        }
    }
}
