package dev.pgha.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.pgha.common.model.ClusterView;
import dev.pgha.common.model.MemberInfo;
import dev.pgha.common.model.Phase;
import dev.pgha.common.secret.Secret;
import dev.pgha.store.ZooKeeperAuth;
import dev.pgha.store.ZooKeeperStore;
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
    private static final ZooKeeperAuth AUTH = new ZooKeeperAuth("it", Secret.of("proxy-it-store-secret"));
    private TestingServer zk;
    private ZooKeeperStore store;
    private ZooKeeperStore writer;
    private ProxyServer proxy;
    private ProxyRouter router;
    private EchoServer a;
    private EchoServer b;

    @BeforeEach
    void start() throws Exception {
        AUTH.configureServers();
        zk = new TestingServer(true);
        store = ZooKeeperStore.connect(
                zk.getConnectString(), "it", AUTH, Duration.ofSeconds(2), Duration.ofSeconds(10), "zk");
        writer = ZooKeeperStore.connect(
                zk.getConnectString(), "it", AUTH, Duration.ofSeconds(2), Duration.ofSeconds(10), "zk");
        a = new EchoServer("A");
        b = new EchoServer("B");
        writer.register(new MemberInfo("a", null, "127.0.0.1", a.port(), 0, 0, Instant.now()));
        writer.register(new MemberInfo("b", null, "127.0.0.1", b.port(), 0, 0, Instant.now()));
        proxy = ProxyServer.listen(
                "proxy", 0, new ProxySettings(Duration.ofSeconds(2), 1, Duration.ofMillis(300), 100, 1000, false));
        router = new ProxyRouter(store, "p1", proxy);
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
                                generation,
                                leader,
                                List.of(),
                                List.of(),
                                List.of(),
                                phase,
                                null,
                                "it",
                                null,
                                Instant.now()),
                        version))
                .isTrue();
    }

    private String reach() {
        return Wire.reach(proxy.port());
    }

    @Test
    void routesByTheViewAndAcknowledgesTheGeneration() {
        assertThat(reach()).as("held, then refused").startsWith("refused 57P03");
        publish(1, "a", Phase.INITIALIZING);
        await().atMost(WAIT)
                .until(() -> writer.snapshot().proxies().containsKey("p1")
                        && writer.snapshot().proxies().get("p1").generation() == 1);
        assertThat(reach()).as("not routable before NORMAL").startsWith("refused 57P03");
        publish(2, "a", Phase.NORMAL);
        await().atMost(WAIT).until(() -> reach().equals("A"));
        publish(3, "b", Phase.NORMAL);
        await().atMost(WAIT).until(() -> reach().equals("B"));
        await().atMost(WAIT).until(() -> writer.snapshot().proxies().get("p1").generation() == 3);
    }

    @Test
    void keepsListeningThroughAThirtySecondStoreOutageAndRefusesCleanlyOnceTheSessionIsLost() throws Exception {
        publish(2, "a", Phase.NORMAL);
        await().atMost(WAIT).until(() -> reach().equals("A"));

        zk.stop();
        // Within the session the last known leader is still served.
        assertThat(reach()).isEqualTo("A");
        // Once the session is lost the leader may have changed: hold new clients, refuse them with 57P03 past the hold
        // timeout (no new session came), but keep the port open.
        await().atMost(WAIT).until(() -> proxy.currentRoute().isEmpty());
        long until = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (System.nanoTime() < until) {
            assertThat(reach()).startsWith("refused 57P03");
            Thread.sleep(2000);
        }

        zk.restart();
        await().atMost(WAIT).until(() -> reach().equals("A"));
    }
}
