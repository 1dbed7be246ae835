package dev.pgha.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * A member gone for cluster.deadMemberRemovalInterval is removed and the leader drops its replication slot, so the
 * WAL the slot held back cannot fill the leader's disk; when the member returns it registers again, gets a slot
 * again and streams as a synchronous standby.
 */
class DeadMemberIT {

    @Test
    void aDeadMembersSlotIsDroppedAfterTheIntervalAndItRejoinsWhenItReturns() throws Exception {
        try (PghaCluster cluster = new PghaCluster("pgha-deadmember", 3, 0)) {
            cluster.nodes.forEach(n -> n.env.put("PGHA_DEAD_MEMBER_REMOVAL", "8s"));
            cluster.start();
            PghaNode leader = cluster.awaitLeader(null, 2, PghaCluster.READY);
            PghaNode dead =
                    cluster.nodes.stream().filter(n -> n != leader).findFirst().orElseThrow();
            String deadId = dead.memberId();
            String slot = "pgha_" + deadId.replace('-', '_');
            assertThat(slots(leader)).contains(slot);

            dead.killNode();
            long killedAt = System.nanoTime();
            await().atMost(Duration.ofSeconds(60))
                    .pollInterval(Duration.ofMillis(250))
                    .ignoreExceptions()
                    .until(() -> !slots(leader).contains(slot));
            // Not before the interval: the member had its slot for at least 8 s after its death.
            assertThat(Duration.ofNanos(System.nanoTime() - killedAt)).isGreaterThanOrEqualTo(Duration.ofSeconds(8));
            assertThat(cluster.view().standbys()).doesNotContain(deadId);
            String sentinelLogs = cluster.nodes.stream()
                    .filter(n -> n != dead)
                    .map(PghaNode::out)
                    .reduce("", String::concat);
            assertThat(sentinelLogs)
                    .contains("removed member " + deadId + ": gone for longer than "
                            + "cluster.deadMemberRemovalInterval (8s)");
            assertThat(leader.out()).contains("dropped replication slot " + slot + ": its member was removed");
            PghaCli.Result status = PghaCli.run(leader, "status");
            assertThat(status.out()).doesNotContain(deadId);

            dead.start();
            cluster.awaitLeader(null, 2, PghaCluster.READY);
            assertThat(slots(leader)).contains(slot);
            assertThat(cluster.view().leader()).isEqualTo(leader.memberId());
        }
    }

    private static Set<String> slots(PghaNode node) throws SQLException {
        Set<String> names = new HashSet<>();
        try (Connection c = node.connect(node.pgPort(), "postgres", PghaCluster.PASSWORD);
                Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT slot_name FROM pg_replication_slots")) {
            while (rs.next()) {
                names.add(rs.getString(1));
            }
        }
        return names;
    }
}
