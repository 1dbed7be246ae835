package dev.pgha.app;

import static org.awaitility.Awaitility.await;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;

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

    /** Switches to a new WAL segment on the primary {@code node} and waits until the finished one is archived. */
    static void archiveCurrentSegment(PghaNode node) {
        String segment = query(node, "SELECT pg_walfile_name(pg_switch_wal())");
        await().atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofMillis(200))
                .until(() ->
                        segment.compareTo(query(node, "SELECT COALESCE(last_archived_wal, '') FROM pg_stat_archiver"))
                                <= 0);
    }
}
