package dev.pgha.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.postgresql.core.BaseConnection;

/** What misbehaving clients at the proxy port can and cannot do to everybody else. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ProxyClientsIT {
    private PghaNode node;
    private String password;

    @BeforeAll
    void startNode() throws Exception {
        node = PghaNode.inNewDir("pgha-proxy").withFreePorts();
        node.start().awaitReady(Duration.ofSeconds(60));
        password = node.printedPassword().orElseThrow();
    }

    @AfterAll
    void stopNode() throws Exception {
        node.close();
    }

    @Test
    void garbageBytesCloseOnlyThatConnection() throws Exception {
        try (Connection healthy = node.connect(node.proxyPort(), "postgres", password)) {
            byte[] junk = new byte[64 * 1024];
            new Random(42).nextBytes(junk);
            List<Socket> garbage = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                Socket s = new Socket();
                s.connect(new InetSocketAddress("127.0.0.1", node.proxyPort()), 5000);
                garbage.add(s);
                OutputStream out = s.getOutputStream();
                try {
                    out.write(
                            i % 2 == 0
                                    ? junk
                                    : "GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                    out.flush();
                } catch (IOException e) {
                    // closed while we were still writing: that is the expected outcome
                }
            }
            for (Socket s : garbage) {
                assertThat(closedByPeer(s)).as("garbage connection is closed").isTrue();
                s.close();
            }
            // The connection opened before, and new ones, still work.
            assertThat(query(healthy, "SELECT 1")).isEqualTo(1);
            try (Connection fresh = node.connect(node.proxyPort(), "postgres", password)) {
                assertThat(query(fresh, "SELECT 2")).isEqualTo(2);
            }
        }
        assertThat(node.alive()).isTrue();
    }

    @Test
    void twoHundredIdleConnectionsDoNotStarveOtherClients() throws Exception {
        List<Socket> idle = new ArrayList<>();
        try {
            for (int i = 0; i < 200; i++) {
                Socket s = new Socket();
                s.connect(new InetSocketAddress("127.0.0.1", node.proxyPort()), 5000);
                idle.add(s);
            }
            long t0 = System.nanoTime();
            try (Connection c = node.connect(node.proxyPort(), "postgres", password)) {
                assertThat(query(c, "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend'"))
                        .isGreaterThanOrEqualTo(1);
            }
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(10));
            for (Socket s : idle) {
                assertThat(s.isClosed()).isFalse();
            }
        } finally {
            for (Socket s : idle) {
                s.close();
            }
        }
        assertThat(node.alive()).isTrue();
    }

    @Test
    void clientThatVanishesWithoutTerminateReleasesItsBackend() throws Exception {
        Connection c = node.connect(node.proxyPort(), "postgres", password);
        int pid = query(c, "SELECT pg_backend_pid()");
        // Drop the client socket without a Terminate message, as a crashed app would.
        c.unwrap(BaseConnection.class).getQueryExecutor().abort();
        try (Connection observer = node.connect(node.pgPort(), "postgres", password)) {
            Awaitility.await()
                    .atMost(Duration.ofSeconds(20))
                    .until(() -> query(observer, "SELECT count(*) FROM pg_stat_activity WHERE pid = " + pid) == 0);
        }
    }

    private static int query(Connection c, String sql) throws Exception {
        try (Statement st = c.createStatement();
                ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getInt(1);
        }
    }

    /** Reads until the peer closes (true) or 15 s pass without it (false). */
    private static boolean closedByPeer(Socket s) throws IOException {
        s.setSoTimeout(15_000);
        InputStream in = s.getInputStream();
        byte[] buf = new byte[4096];
        try {
            while (true) {
                if (in.read(buf) < 0) {
                    return true;
                }
            }
        } catch (SocketTimeoutException e) {
            return false;
        } catch (IOException e) {
            return true; // reset by peer
        }
    }
}
