package dev.pgha.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.pgha.common.model.ClusterView;
import dev.pgha.common.model.MemberInfo;
import dev.pgha.common.model.Phase;
import dev.pgha.common.store.ClusterStore;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.apache.curator.test.TestingServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The proxy follows the view in a real ZooKeeper, and keeps listening when ZooKeeper goes away. */
class ProxyRouterIT {
    private static final Duration WAIT = Duration.ofSeconds(20);
    private TestingServer zk;
    private ClusterStore store;
    private ClusterStore writer;
    private ProxyServer proxy;
    private ProxyRouter router;
    private EchoServer a;
    private EchoServer b;

    @BeforeEach
    void start() throws Exception {
        zk = new TestingServer(true);
        store = ClusterStore.connect(zk.getConnectString(), "it", Duration.ofSeconds(2), Duration.ofSeconds(10), "zk");
        writer = ClusterStore.connect(zk.getConnectString(), "it", Duration.ofSeconds(2), Duration.ofSeconds(10), "zk");
        a = new EchoServer("A");
        b = new EchoServer("B");
        writer.register(new MemberInfo("a", null, "127.0.0.1", a.port(), 0, 0, Instant.now()));
        writer.register(new MemberInfo("b", null, "127.0.0.1", b.port(), 0, 0, Instant.now()));
        proxy = ProxyServer.listen(
                "proxy",
                0,
                new ProxyServer.Settings(Duration.ofSeconds(2), 1, Duration.ofMillis(300), 100, 1000, false));
        router = new ProxyRouter(store, "p1", proxy, Duration.ofSeconds(2));
        router.start();
    }

    @AfterEach
    void stop() throws Exception {
        router.close();
        proxy.close();
        store.close();
        writer.close();
        a.close();
        b.close();
        zk.close();
    }

    private void publish(long generation, String leader, Phase phase) {
        Optional<Integer> version = writer.view().map(v -> v.version());
        assertThat(writer.compareAndSetView(
                        new ClusterView(
                                generation, leader, List.of(), List.of(), List.of(), phase, "it", null, Instant.now()),
                        version))
                .isTrue();
    }

    /** The greeting of the backend a new connection reaches, or the SQLSTATE the proxy refused it with. */
    private String reach() {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", proxy.port()), 2000);
            s.setSoTimeout(3000);
            Wire.startup(s.getOutputStream());
            InputStream in = s.getInputStream();
            int first = in.read();
            if (first == 'E') {
                byte[] rest = new byte[4];
                new java.io.DataInputStream(in).readFully(rest);
                int length = java.nio.ByteBuffer.wrap(rest).getInt();
                byte[] body = new byte[length - 4];
                new java.io.DataInputStream(in).readFully(body);
                return "refused " + new Wire.Message('E', body).sqlState();
            }
            StringBuilder line = new StringBuilder();
            for (int c = first; c >= 0 && c != '\n'; c = in.read()) {
                line.append((char) c);
            }
            return line.length() == 0 ? "closed" : line.toString();
        } catch (java.io.IOException e) {
            return "failed: " + e.getMessage();
        }
    }

    @Test
    void routesByTheViewAndAcknowledgesTheGeneration() {
        assertThat(reach()).as("held, then refused").isEqualTo("refused 57P03");
        publish(1, "a", Phase.INITIALIZING);
        await().atMost(WAIT)
                .until(() -> writer.proxies().containsKey("p1")
                        && writer.proxies().get("p1").generation() == 1);
        assertThat(reach()).as("not routable before NORMAL").isEqualTo("refused 57P03");
        publish(2, "a", Phase.NORMAL);
        await().atMost(WAIT).until(() -> reach().equals("A"));
        publish(3, "b", Phase.NORMAL);
        await().atMost(WAIT).until(() -> reach().equals("B"));
        await().atMost(WAIT).until(() -> writer.proxies().get("p1").generation() == 3);
    }

    @Test
    void keepsListeningThroughAThirtySecondStoreOutageAndRefusesCleanlyOnceTheSessionIsLost() throws Exception {
        publish(2, "a", Phase.NORMAL);
        await().atMost(WAIT).until(() -> reach().equals("A"));

        zk.stop();
        // Within the session the last known leader is still served.
        assertThat(reach()).isEqualTo("A");
        // Once the session is lost the leader may have changed: refuse with 57P03, but keep the port open.
        await().atMost(WAIT).until(() -> proxy.currentRoute().isEmpty());
        long until = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (System.nanoTime() < until) {
            assertThat(reach()).isEqualTo("refused 57P03");
            Thread.sleep(2000);
        }

        zk.restart();
        await().atMost(WAIT).until(() -> reach().equals("A"));
    }
}
