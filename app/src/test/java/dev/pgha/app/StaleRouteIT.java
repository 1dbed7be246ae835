package dev.pgha.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A proxy paused past its store session (SIGSTOP of the daemon, a frozen VM, a long GC) wakes up still routing to
 * a leader that was replaced meanwhile, and learns that its session expired only a moment later. In that moment it
 * must not relay one byte to the old leader, whose postgres still runs. Found by the chaos suite
 * (bench/chaos.sh --faults 60 --seed 42, pause-leader): a read sent through the paused node's proxy was answered
 * by the old leader after the new leader had acknowledged a newer value, a stale read; in asynchronous mode the
 * same path would have let the old leader take writes.
 */
class StaleRouteIT {

    @Test
    void aProxyWakingFromAPauseRelaysNothingToTheReplacedLeader() throws Exception {
        ExecutorService client = Executors.newSingleThreadExecutor();
        try (PghaCluster cluster = new PghaCluster("pgha-stale", 3, 0)) {
            cluster.start(); // inside the try: a failed start still removes what the cluster created
            PghaNode old = cluster.awaitLeader(null, 2, PghaCluster.READY);
            String oldId = old.memberId();
            PghaNode other =
                    cluster.nodes.stream().filter(n -> n != old).findFirst().orElseThrow();
            execute(other, "CREATE TABLE reg (x int)");
            execute(other, "INSERT INTO reg VALUES (1)");
            // An application connected through the leader node's own proxy.
            Connection app = old.connect(old.proxyPort(), "postgres", PghaCluster.PASSWORD);
            assertThat(read(app)).isEqualTo("1 from " + old.pgPort());

            old.pause(); // the daemon (proxy, keeper, ZooKeeper peer) stops; its postgres runs on
            PghaNode next = cluster.awaitLeader(oldId, 1, Duration.ofSeconds(60));
            execute(next, "UPDATE reg SET x = 2"); // acknowledged by the new leader

            // The application's next query waits in the paused proxy's socket; the proxy sees it the moment it runs.
            Future<String> answer = client.submit(() -> read(app));
            Thread.sleep(500);
            old.resume();
            String result;
            try {
                result = answer.get(60, TimeUnit.SECONDS);
            } catch (ExecutionException e) {
                result = "refused: " + e.getCause().getMessage();
            }
            assertThat(result)
                    .as("the query sent through the proxy that was paused")
                    .doesNotContain("from " + old.pgPort())
                    .startsWith("refused: FATAL: terminating connection: no leader available: this node has not heard "
                            + "from the cluster store for a session timeout");
            // New connections through that proxy are refused until it has a session again, then reach the new
            // leader; never the old one.
            await().atMost(Duration.ofSeconds(60))
                    .pollInterval(Duration.ofMillis(100))
                    .ignoreExceptionsMatching(e -> e instanceof SQLException)
                    .until(() -> {
                        try (Connection fresh = old.connect(old.proxyPort(), "postgres", PghaCluster.PASSWORD)) {
                            String r = read(fresh);
                            assertThat(r).doesNotContain("from " + old.pgPort());
                            return r.equals("2 from " + next.pgPort());
                        }
                    });
        } finally {
            client.shutdownNow();
        }
    }

    private static String read(Connection c) throws SQLException {
        try (Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT x, inet_server_port() FROM reg")) {
            rs.next();
            return rs.getInt(1) + " from " + rs.getInt(2);
        }
    }

    private static void execute(PghaNode via, String sql) throws SQLException {
        try (Connection c = via.connect(via.proxyPort(), "postgres", PghaCluster.PASSWORD);
                Statement st = c.createStatement()) {
            st.execute(sql);
        }
    }
}
