package dev.pgha.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.pgha.common.model.Cause;
import dev.pgha.common.model.ClusterView;
import dev.pgha.common.model.KeeperStatus;
import dev.pgha.common.model.MemberInfo;
import dev.pgha.common.model.Phase;
import dev.pgha.common.model.ProxyStatus;
import dev.pgha.common.model.Role;
import dev.pgha.common.model.Statuses;
import dev.pgha.common.store.InMemoryCluster;
import dev.pgha.common.store.InMemoryClusterStore;
import dev.pgha.common.store.Published;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The router's loop against the in-memory store: what clients meet as the view and the session change. */
class ProxyRouterTest {
    private static final Duration WAIT = Duration.ofSeconds(10);
    private final InMemoryCluster cluster = new InMemoryCluster();
    private final InMemoryClusterStore sentinel = cluster.connect();
    private InMemoryClusterStore store;
    private ProxyServer proxy;
    private ProxyServer readOnly;
    private ProxyRouter router;
    private EchoServer a;
    private EchoServer b;

    @BeforeEach
    void start() throws Exception {
        a = new EchoServer("A");
        b = new EchoServer("B");
        sentinel.register(new MemberInfo("a", null, "127.0.0.1", a.port(), 0, 0, Instant.now()));
        sentinel.register(new MemberInfo("b", null, "127.0.0.1", b.port(), 0, 0, Instant.now()));
        ProxySettings settings = new ProxySettings(Duration.ofSeconds(2), 1, Duration.ofMillis(300), 100, 1000, false);
        proxy = ProxyServer.listen("proxy", 0, settings);
        readOnly = ProxyServer.listen("read-only proxy", 0, settings.readOnly());
        store = cluster.connect();
        router = new ProxyRouter(store, "p1", proxy, readOnly, 1000, null);
        router.start();
    }

    @AfterEach
    void stop() throws Exception {
        router.close();
        proxy.close();
        readOnly.close();
        a.close();
        b.close();
    }

    private void publish(long generation, String leader, Phase phase, Cause cause, String reason) {
        Optional<Integer> version = sentinel.view().map(v -> v.version());
        assertThat(sentinel.compareAndSetView(
                        new ClusterView(
                                generation,
                                leader,
                                List.of(),
                                List.of(),
                                List.of(),
                                phase,
                                cause,
                                reason,
                                null,
                                Instant.now()),
                        version))
                .isTrue();
    }

    private long acknowledged() {
        ProxyStatus p = sentinel.snapshot().proxies().get("p1");
        return p == null ? -1 : p.generation();
    }

    @Test
    void routesToTheLeaderOnceItIsConfirmedAndAcknowledgesEveryGeneration() {
        publish(1, "a", Phase.INITIALIZING, Cause.BOOTSTRAP, "member a creates the cluster");
        await().atMost(WAIT).until(() -> acknowledged() == 1);
        assertThat(Wire.reach(proxy.port())).isEqualTo("refused 57P03: no leader available: the cluster is starting");
        publish(2, "a", Phase.NORMAL, Cause.BOOTSTRAP, "member a leads");
        await().atMost(WAIT).until(() -> Wire.reach(proxy.port()).equals("A"));
        assertThat(acknowledged()).isEqualTo(2);
        publish(3, "b", Phase.NORMAL, Cause.FAILOVER, "member b leads");
        await().atMost(WAIT).until(() -> Wire.reach(proxy.port()).equals("B"));
        await().atMost(WAIT).until(() -> acknowledged() == 3);
    }

    @Test
    void aClusterThatCannotChooseALeaderTellsHeldClientsWhy() {
        publish(5, null, Phase.FAILOVER_FENCING, Cause.FAILOVER, "failover: leader a was lost; fencing");
        await().atMost(WAIT).until(() -> acknowledged() == 5);
        assertThat(Wire.reach(proxy.port())).isEqualTo("refused 57P03: no leader available: failover in progress");
        Optional<Integer> version = sentinel.view().map(v -> v.version());
        sentinel.compareAndSetView(
                sentinel.view()
                        .orElseThrow()
                        .value()
                        .withReason(Cause.NO_CANDIDATE, "no healthy standby to promote: b is not a running standby"),
                version);
        await().atMost(WAIT)
                .until(() -> Wire.reach(proxy.port())
                        .equals("refused 57P03: no leader available: no healthy standby to promote: b is not a "
                                + "running standby"));
    }

    @Test
    void aLostSessionHoldsClientsUntilANewOneRoutesThemAgain() {
        publish(2, "a", Phase.NORMAL, Cause.BOOTSTRAP, "member a leads");
        await().atMost(WAIT).until(() -> Wire.reach(proxy.port()).equals("A"));
        store.expire();
        await().atMost(WAIT).until(() -> proxy.currentRoute().isEmpty());
        // held for the hold timeout (no new session came), then told why
        assertThat(Wire.reach(proxy.port()))
                .isEqualTo("refused 57P03: no leader available: this node lost its connection to the cluster store "
                        + "(ZooKeeper)");
        assertThat(sentinel.snapshot().proxies())
                .as("its acknowledgement went with the session")
                .isEmpty();
        store.reconnect();
        await().atMost(WAIT).until(() -> Wire.reach(proxy.port()).equals("A"));
        await().atMost(WAIT).until(() -> acknowledged() == 2);
    }

    @Test
    void withoutWordFromTheStoreNoClientIsRelayed() {
        publish(2, "a", Phase.NORMAL, Cause.BOOTSTRAP, "member a leads");
        await().atMost(WAIT).until(() -> Wire.reach(proxy.port()).equals("A"));
        store.disconnect(); // the session may live on, but this node cannot know for how long: the lease ends
        assertThat(Wire.reach(proxy.port())).isEqualTo("refused 57P03: " + ProxyServer.UNTRUSTED);
        store.reconnect(); // the same session: the route it read still binds
        await().atMost(WAIT).until(() -> Wire.reach(proxy.port()).equals("A"));
    }

    @Test
    void theReadOnlyPortSpreadsClientsOverStandbysThatKeepUp() {
        try (Published<KeeperStatus> leader = sentinel.keeperStatus("a");
                Published<KeeperStatus> standby = sentinel.keeperStatus("b")) {
            leader.publish(status("a", Role.PRIMARY, 10_000, 0, null));
            standby.publish(status("b", Role.STANDBY, 0, 5_000, "a")); // 5000 bytes behind: over the 1000 bound
            publish(2, "a", Phase.NORMAL, Cause.BOOTSTRAP, "member a leads");
            await().atMost(WAIT).until(() -> Wire.reach(readOnly.port()).equals("A"));
            standby.publish(status("b", Role.STANDBY, 0, 9_500, "a")); // caught up within the bound
            await().atMost(WAIT).until(() -> Wire.reach(readOnly.port()).equals("B"));
        }
    }

    private static KeeperStatus status(String id, Role role, long written, long replayed, String following) {
        return Statuses.of(id, role)
                .written(written)
                .replayed(replayed)
                .following(following)
                .applied(2)
                .at(Instant.now())
                .build();
    }
}
