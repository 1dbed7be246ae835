package dev.pgha.common.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.pgha.common.PghaException;
import dev.pgha.common.model.ClusterView;
import dev.pgha.common.model.HistoryEntry;
import dev.pgha.common.model.Json;
import dev.pgha.common.model.KeeperStatus;
import dev.pgha.common.model.MemberInfo;
import dev.pgha.common.model.Phase;
import dev.pgha.common.model.Role;
import java.io.Closeable;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.curator.framework.recipes.nodes.PersistentNode;
import org.apache.curator.test.TestingServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/** The store client against a real ZooKeeper (curator-test's TestingServer). */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ClusterStoreIT {
    private TestingServer zk;
    private ClusterStore store;
    private static int cluster;

    @BeforeAll
    void startZooKeeper() throws Exception {
        zk = new TestingServer(true);
    }

    @AfterAll
    void stopZooKeeper() throws Exception {
        zk.close();
    }

    @BeforeEach
    void connect() {
        store = connect("c" + (++cluster));
    }

    @AfterEach
    void disconnect() {
        store.close();
    }

    private ClusterStore connect(String name) {
        return ClusterStore.connect(
                zk.getConnectString(), name, Duration.ofSeconds(2), Duration.ofSeconds(10), "test ZooKeeper");
    }

    private static ClusterView view(long gen, String leader) {
        return new ClusterView(
                gen,
                leader,
                List.of(),
                List.of(),
                List.of(),
                Phase.NORMAL,
                "test",
                null,
                Instant.parse("2026-01-01T00:00:00Z"));
    }

    @Test
    void viewIsWrittenOnlyByCompareAndSet() {
        assertThat(store.view()).isEmpty();
        assertThat(store.compareAndSetView(view(1, "a"), Optional.empty())).isTrue();
        assertThat(store.compareAndSetView(view(1, "b"), Optional.empty()))
                .as("second create loses")
                .isFalse();
        Versioned<ClusterView> v = store.view().orElseThrow();
        assertThat(v.value()).isEqualTo(view(1, "a"));
        assertThat(store.compareAndSetView(view(2, "b"), Optional.of(v.version())))
                .isTrue();
        assertThat(store.compareAndSetView(view(3, "c"), Optional.of(v.version())))
                .as("stale version loses")
                .isFalse();
        assertThat(store.view().orElseThrow().value().leader()).isEqualTo("b");
    }

    @Test
    void ephemeralStatusVanishesWithItsSession() throws Exception {
        ClusterStore other = connect(store.paths().cluster());
        KeeperStatus s = new KeeperStatus(
                "k1",
                "ams",
                true,
                1,
                true,
                Role.PRIMARY,
                1,
                10,
                0,
                0,
                true,
                null,
                3,
                Instant.now(),
                null,
                null,
                List.of(),
                List.of());
        PersistentNode node = other.ephemeral(other.paths().keeper("k1"), Json.write(s));
        await().atMost(Duration.ofSeconds(10)).until(() -> store.keepers().containsKey("k1"));
        assertThat(store.keepers().get("k1")).isEqualTo(s);
        node.setData(Json.write(new KeeperStatus(
                "k1",
                "ams",
                true,
                1,
                true,
                Role.PRIMARY,
                1,
                20,
                0,
                0,
                true,
                null,
                3,
                s.updatedAt(),
                null,
                null,
                List.of(),
                List.of())));
        await().atMost(Duration.ofSeconds(10))
                .until(() -> store.keepers().get("k1").writtenLsn() == 20);
        other.close(); // the session ends: the member is gone
        await().atMost(Duration.ofSeconds(10)).until(() -> store.keepers().isEmpty());
    }

    @Test
    void membersAreRegisteredAndUpdated() {
        MemberInfo m = new MemberInfo("k1", null, "10.0.0.1", 5433, 5432, 5500, Instant.parse("2026-01-01T00:00:00Z"));
        store.register(m);
        store.register(new MemberInfo("k1", null, "10.0.0.2", 5433, 5432, 5500, m.registeredAt()));
        assertThat(store.member("k1").orElseThrow().host()).isEqualTo("10.0.0.2");
        assertThat(store.members()).containsOnlyKeys("k1");
        assertThat(store.member("nobody")).isEmpty();
    }

    @Test
    void historyKeepsTheNewestEntries() {
        for (int i = 1; i <= 5; i++) {
            store.appendHistory(new HistoryEntry(Instant.now(), i, "m" + (i - 1), "m" + i, "test", i * 100L), 3);
        }
        assertThat(store.history()).extracting(HistoryEntry::generation).containsExactly(3L, 4L, 5L);
    }

    @Test
    void watchSeesChanges() throws Exception {
        AtomicInteger calls = new AtomicInteger();
        try (Closeable w = store.watch(store.paths().view(), calls::incrementAndGet)) {
            await().atMost(Duration.ofSeconds(10)).until(() -> calls.get() >= 1); // initialised
            int before = calls.get();
            store.compareAndSetView(view(1, "a"), Optional.empty());
            await().atMost(Duration.ofSeconds(10)).until(() -> calls.get() > before);
        }
    }

    @Test
    void unparseableChildIsSkippedNotFatal() throws Exception {
        store.curator().create().creatingParentsIfNeeded().forPath(store.paths().member("broken"), "{nope".getBytes());
        store.register(new MemberInfo("ok", null, "h", 1, 2, 3, Instant.now()));
        assertThat(store.members()).containsOnlyKeys("ok");
    }

    @Test
    void unreachableStoreIsNamedInTheError() {
        assertThatThrownBy(() -> ClusterStore.connect(
                        "127.0.0.1:1",
                        "x",
                        Duration.ofSeconds(2),
                        Duration.ofSeconds(1),
                        "ZooKeeper at 127.0.0.1:1 (PGHA_ZK_CONNECT)"))
                .isInstanceOf(PghaException.class)
                .hasMessage("cannot reach ZooKeeper at 127.0.0.1:1 (PGHA_ZK_CONNECT) within 1s: check that it runs and "
                        + "the address is right");
    }
}
