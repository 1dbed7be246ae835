package dev.pgha.app;

import static org.awaitility.Awaitility.await;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.stream.Collectors;
import org.awaitility.core.ConditionTimeoutException;

/** SQL on a node's own postgres as the operator (role postgres), for the backup tests. */
final class NodeSql {
    private NodeSql() {}

    static void execute(PghaNode node, String... statements) throws SQLException {
        try (Connection c = node.connect(node.pgPort(), "postgres", PghaCluster.PASSWORD);
                Statement st = c.createStatement()) {
            for (String s : statements) {
                st.execute(s);
            }
        }
    }

    /** The first column of the first row. */
    static String query(PghaNode node, String sql) {
        try (Connection c = node.connect(node.pgPort(), "postgres", PghaCluster.PASSWORD);
                Statement st = c.createStatement();
                ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        } catch (SQLException e) {
            throw new IllegalStateException(sql + ": " + e.getMessage(), e);
        }
    }

    /**
     * Switches to a new WAL segment on the primary {@code node} and waits until the finished one is archived. A
     * timeout names the segment, what postgres's archiver last did and the node's log lines about archiving.
     */
    static void archiveCurrentSegment(PghaNode node) {
        String segment = query(node, "SELECT pg_walfile_name(pg_switch_wal())");
        try {
            await().atMost(Duration.ofSeconds(60))
                    .pollInterval(Duration.ofMillis(200))
                    .until(() -> segment.compareTo(
                                    query(node, "SELECT COALESCE(last_archived_wal, '') FROM pg_stat_archiver"))
                            <= 0);
        } catch (ConditionTimeoutException e) {
            throw new AssertionError(
                    "segment " + segment + " not archived within 60 s; pg_stat_archiver: "
                            + query(
                                    node,
                                    "SELECT row(archived_count, last_archived_wal, last_archived_time,"
                                            + " failed_count, last_failed_wal, last_failed_time)::text FROM pg_stat_archiver")
                            + "\n" + archivingLog(node),
                    e);
        }
    }

    private static String archivingLog(PghaNode node) {
        return node.logLines().stream()
                .filter(l -> l.contains("archiv")
                        || l.contains("pgbackrest")
                        || l.contains("pgBackRest")
                        || l.contains("promot")
                        || l.contains("timeline"))
                .collect(Collectors.joining("\n"));
    }
}
