package dev.pgha.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pgha.common.config.ZkPeer;
import dev.pgha.common.model.ClusterView;
import dev.pgha.common.secret.Secret;
import dev.pgha.common.store.EnsembleChangeException;
import dev.pgha.common.store.StoreEnsemble;
import dev.pgha.common.store.Versioned;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Embedded ZooKeeper servers growing from one voter by dynamic reconfiguration, in this JVM. */
class DynamicEnsembleIT {
    private static final String CLUSTER = "grow";
    private static final ZooKeeperAuth AUTH = new ZooKeeperAuth(CLUSTER, Secret.of("dynamic-ensemble-it-secret"));
    private static final Duration TICK = Duration.ofMillis(250);
    private static final Duration SESSION = Duration.ofSeconds(2);

    @TempDir
    Path dir;

    private final List<AutoCloseable> started = new ArrayList<>();

    @AfterEach
    void stop() throws Exception {
        for (int i = started.size() - 1; i >= 0; i--) {
            started.get(i).close();
        }
    }

    private static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private static ZkPeer server(int id) throws Exception {
        return new ZkPeer(id, "127.0.0.1", freePort(), freePort(), "127.0.0.1", freePort());
    }

    private <T extends AutoCloseable> T keep(T c) {
        started.add(c);
        return c;
    }

    private ZooKeeperStore connect(String address) {
        return keep(ZooKeeperStore.connect(address, CLUSTER, AUTH, SESSION, Duration.ofSeconds(20), "zk"));
    }

    private ZooKeeperPeer join(ZooKeeperStore via, String address, String name, int voters) throws Exception {
        ZooKeeperPeer peer = EnsembleJoin.join(
                via,
                address,
                dir.resolve(name),
                server(0),
                voters,
                false,
                TICK,
                AUTH,
                Duration.ofSeconds(30),
                () -> false);
        return keep(peer);
    }

    @Test
    void aOneVoterEnsembleGrowsToThreeVotersAndThenObserversWithItsDataIntact() throws Exception {
        ZkPeer first = server(1);
        ZooKeeperPeer one = keep(ZooKeeperPeer.start(dir.resolve("one"), List.of(first), 1, TICK, AUTH));
        ZooKeeperStore store = connect(one.connectString());
        assertThat(store.compareAndSetView(ClusterView.initial(), Optional.empty()))
                .isTrue();
        assertThat(store.ensemble().orElseThrow().voters()).containsExactly(first);

        ZooKeeperPeer two = join(store, first.clientAddress(), "two", 3);
        ZooKeeperPeer three = join(store, first.clientAddress(), "three", 3);
        ZooKeeperPeer four = join(store, first.clientAddress(), "four", 3);

        StoreEnsemble ensemble = store.ensemble().orElseThrow();
        assertThat(ensemble.voters()).extracting(ZkPeer::id).containsExactly(1, 2, 3);
        assertThat(ensemble.observers()).extracting(ZkPeer::id).containsExactly(4);
        assertThat(List.of(two.id(), three.id(), four.id())).containsExactly(2, 3, 4);
        // the joined servers serve the data written before they existed
        ZooKeeperStore viaFour = connect(ensemble.server(4).orElseThrow().clientAddress());
        assertThat(viaFour.view()).map(Versioned::value).contains(ClusterView.initial());

        // a change decided on an older configuration is refused, so two changes cannot cross
        assertThatThrownBy(() -> store.changeEnsemble(List.of(), List.of(4), ensemble.version() - 1))
                .isInstanceOfSatisfying(
                        EnsembleChangeException.class,
                        e -> assertThat(e.kind()).isEqualTo(EnsembleChangeException.Kind.CONFLICT));
        StoreEnsemble shrunk = store.changeEnsemble(List.of(), List.of(4), ensemble.version());
        assertThat(shrunk.servers()).extracting(ZkPeer::id).containsExactly(1, 2, 3);
    }

    @Test
    void withFiveVotersWantedEveryOneOfFiveVotes() throws Exception {
        ZkPeer first = server(1);
        ZooKeeperPeer one = keep(ZooKeeperPeer.start(dir.resolve("one"), List.of(first), 1, TICK, AUTH));
        one.awaitServing(Duration.ofSeconds(10));
        ZooKeeperStore store = connect(one.connectString());
        for (String name : List.of("two", "three", "four", "five")) {
            join(store, first.clientAddress(), name, 5);
        }
        assertThat(store.ensemble().orElseThrow().voters())
                .extracting(ZkPeer::id)
                .containsExactly(1, 2, 3, 4, 5);
        assertThat(store.ensemble().orElseThrow().observers()).isEmpty();
    }

    @Test
    void aStandaloneServersDataIsKeptByTheOneVoterEnsembleThatReplacesIt() throws Exception {
        Path data = dir.resolve("zookeeper");
        ZkPeer self = server(1);
        try (EmbeddedZooKeeper old = EmbeddedZooKeeper.start(data, "127.0.0.1", self.clientPort(), TICK, AUTH);
                ZooKeeperStore store = ZooKeeperStore.connect(
                        old.connectString(), CLUSTER, AUTH, SESSION, Duration.ofSeconds(20), "zk")) {
            assertThat(store.compareAndSetView(ClusterView.initial(), Optional.empty()))
                    .isTrue();
        }
        for (int start = 1; start <= 2; start++) {
            try (ZooKeeperPeer peer = ZooKeeperPeer.start(data, List.of(self), 1, TICK, AUTH);
                    ZooKeeperStore store = ZooKeeperStore.connect(
                            peer.connectString(), CLUSTER, AUTH, SESSION, Duration.ofSeconds(20), "zk")) {
                assertThat(store.view()).map(Versioned::value).contains(ClusterView.initial());
                assertThat(store.ensemble().orElseThrow().voters()).containsExactly(self);
            }
        }
    }
}
