package dev.pgha.app;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.awaitility.Awaitility;

/**
 * A client that inserts increasing ids through one node's proxy until stopped, reconnecting after errors, and
 * records every id whose commit was acknowledged: those must all survive any failover.
 */
final class AppendWriter implements AutoCloseable {
    private final PghaNode via;
    private final String table;
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final Thread thread;
    final List<Long> acknowledged = new CopyOnWriteArrayList<>();
    final AtomicLong failures = new AtomicLong();
    /** When and why the first writes failed, for a test's failure message. */
    final List<String> failureReasons = new CopyOnWriteArrayList<>();

    private final Duration pace;
    /** When each acknowledgement arrived (System.nanoTime), in order. */
    private final List<Long> acknowledgedAt = new CopyOnWriteArrayList<>();

    AppendWriter(PghaNode via, String table) throws SQLException {
        this(via, table, Duration.ZERO);
    }

    /** A writer that waits {@code pace} after each acknowledged write. */
    AppendWriter(PghaNode via, String table, Duration pace) throws SQLException {
        this.via = via;
        this.table = table;
        this.pace = pace;
        try (Connection c = connect();
                Statement st = c.createStatement()) {
            st.execute(
                    "CREATE TABLE IF NOT EXISTS " + table + " (id bigint PRIMARY KEY, at timestamptz DEFAULT now())");
        }
        thread = new Thread(this::run, "writer-" + table);
        thread.setDaemon(true);
        thread.start();
    }

    private Connection connect() throws SQLException {
        return via.connect(via.proxyPort(), "postgres", PghaCluster.PASSWORD);
    }

    private void run() {
        long next = 1;
        while (running.get()) {
            try (Connection c = connect();
                    PreparedStatement ps = c.prepareStatement("INSERT INTO " + table + " (id) VALUES (?)")) {
                while (running.get()) {
                    ps.setLong(1, next);
                    ps.executeUpdate(); // autocommit: returning normally means the commit was acknowledged
                    acknowledged.add(next);
                    acknowledgedAt.add(System.nanoTime());
                    next++;
                    if (!pace.isZero()) {
                        Thread.sleep(pace.toMillis());
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (SQLException e) {
                if (failures.incrementAndGet() <= 20) {
                    failureReasons.add(java.time.Instant.now() + " id " + next + ": " + e.getMessage());
                }
                next++; // the outcome of that id is unknown; never reuse it
                pause();
            }
        }
    }

    private static void pause() {
        try {
            Thread.sleep(50);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** How many acknowledgements so far; a mark for {@link #longestGapSince}. */
    int mark() {
        return acknowledgedAt.size();
    }

    /** The longest time between two acknowledgements after {@code mark}. */
    Duration longestGapSince(int mark) {
        long longest = 0;
        for (int i = Math.max(1, mark); i < acknowledgedAt.size(); i++) {
            longest = Math.max(longest, acknowledgedAt.get(i) - acknowledgedAt.get(i - 1));
        }
        return Duration.ofNanos(longest);
    }

    /** Waits until {@code more} further writes were acknowledged. */
    void awaitMore(int more, Duration timeout) {
        int target = acknowledged.size() + more;
        Awaitility.await().atMost(timeout).until(() -> acknowledged.size() >= target);
    }

    @Override
    public void close() throws InterruptedException {
        running.set(false);
        thread.join(30_000);
    }
}
