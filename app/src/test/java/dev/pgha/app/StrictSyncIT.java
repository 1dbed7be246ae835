package dev.pgha.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.net.SocketTimeoutException;
import java.nio.file.Files;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * cluster.synchronousStrict: with no synchronous standby, writes wait. pgha's own role set-up must not: standbys
 * need repluser's password before they can join, so a first member that waited for a standby to set it would never
 * get one (found by the chaos suite, where a former leader's keeper hung 30 s in that commit after a store outage).
 */
class StrictSyncIT {

    @Test
    void aStrictFirstMemberSetsUpItsRolesWithoutAStandbyWhileApplicationWritesWait() throws Exception {
        try (PghaNode node = PghaNode.inNewDir("pgha-strict").withFreePorts()) {
            node.env.put("PGHA_NODE_ID", "first");
            node.env.put("PGHA_SYNCHRONOUS_MODE", "on");
            node.env.put("SU_PASSWORD", "su-strict-password");
            node.env.put("REPL_PASSWORD", "repl-strict-password");
            node.env.put("OPERATOR_PASSWORD", PghaCluster.PASSWORD);
            Files.createDirectories(node.dataDir);
            Files.writeString(node.dataDir.resolve("pgha.conf"), "cluster.synchronousStrict = true\n");
            node.start().awaitReady(Duration.ofSeconds(90));
            await().atMost(Duration.ofSeconds(30))
                    .until(() -> node.out().contains("roles flypgadmin, repluser and postgres are in place"));
            assertThat(node.out()).doesNotContain("cannot set up roles");

            try (Connection c = node.connect(node.proxyPort(), "postgres", PghaCluster.PASSWORD);
                    Statement st = c.createStatement();
                    ResultSet rs = st.executeQuery("SELECT current_setting('synchronous_standby_names')")) {
                rs.next();
                assertThat(rs.getString(1)).startsWith("ANY 1 (");
            }
            // An application's commit does wait for the standby that is not there.
            assertThatThrownBy(() -> {
                        try (Connection c = node.connect(node.proxyPort(), "postgres", PghaCluster.PASSWORD)) {
                            c.setNetworkTimeout(Runnable::run, 3000);
                            c.createStatement().execute("CREATE TABLE t (x int)");
                        }
                    })
                    .isInstanceOf(SQLException.class)
                    .hasRootCauseInstanceOf(SocketTimeoutException.class);
            assertThat(node.stop(Duration.ofSeconds(60))).isZero();
        }
    }
}
