package dev.pgha.store;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.pgha.common.PghaException;
import dev.pgha.common.model.Cause;
import dev.pgha.common.model.ClusterView;
import dev.pgha.common.model.HistoryEntry;
import dev.pgha.common.model.Json;
import dev.pgha.common.model.KeeperStatus;
import dev.pgha.common.model.MemberInfo;
import dev.pgha.common.model.OperatorRequest;
import dev.pgha.common.model.Phase;
import dev.pgha.common.model.ProxyStatus;
import dev.pgha.common.model.Statuses;
import dev.pgha.common.secret.Secret;
import dev.pgha.common.store.ClusterSnapshot;
import dev.pgha.common.store.Published;
import dev.pgha.common.store.SessionLease;
import dev.pgha.common.store.Subscription;
import dev.pgha.common.store.Topic;
import dev.pgha.common.store.Versioned;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.RetryOneTime;
import org.apache.curator.test.TestingServer;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.ZooDefs;
import org.apache.zookeeper.data.ACL;
import org.apache.zookeeper.data.Id;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/** The store on a real ZooKeeper (curator-test's TestingServer). */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ZooKeeperStoreIT {
    private static final Duration WAIT = Duration.ofSeconds(10);
    private TestingServer zk;
    private ZooKeeperStore store;
    private String cluster;
    private int clusters;

    @BeforeAll
    void startZooKeeper() throws Exception {
        // each test has a cluster of its own (c1, c2, ...), and a server learns its users when it starts
        for (int i = 1; i <= 100; i++) {
            auth("c" + i).configureServers();
        }
        zk = new TestingServer(true);
    }

    @AfterAll
    void stopZooKeeper() throws Exception {
        zk.close();
    }

    @BeforeEach
    void connect() {
        cluster = "c" + (++clusters);
        store = connect(cluster);
    }

    @AfterEach
    void disconnect() {
        store.close();
    }

    private ZooKeeperStore connect(String name) {
        return ZooKeeperStore.connect(
                zk.getConnectString(),
                name,
                auth(name),
                Duration.ofSeconds(2),
                Duration.ofSeconds(10),
                "test ZooKeeper");
    }

    /** A plain Curator client with the cluster's credentials, for what pgha itself never writes. */
    private CuratorFramework rawClient(String name) {
        ZooKeeperAuth auth = auth(name);
        return CuratorFrameworkFactory.builder()
                .connectString(zk.getConnectString())
                .retryPolicy(new RetryOneTime(100))
                .zkClientConfig(auth.clientConfig())
                .aclProvider(auth.aclProvider("/pgha/" + name))
                .build();
    }

    private static ZooKeeperAuth auth(String cluster) {
        return new ZooKeeperAuth(cluster, Secret.of("store-it-secret-" + cluster));
    }

    private static ClusterView view(long gen, String leader) {
        return new ClusterView(
                gen,
                leader,
                List.of(),
                List.of(),
                List.of(),
                Phase.NORMAL,
                Cause.BOOTSTRAP,
                "test",
                null,
                Instant.parse("2026-01-01T00:00:00Z"));
    }

    private static KeeperStatus status(String id, long lsn) {
        return Statuses.primary(id, lsn)
                .region("ams")
                .applied(3)
                .at(Instant.now())
                .build();
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
        assertThat(store.snapshot().view().leader()).isEqualTo("b");
    }

    @Test
    void aSnapshotHoldsEveryPartOfTheClusterState() {
        store.compareAndSetView(view(4, "a"), Optional.empty());
        store.register(new MemberInfo("a", null, "10.0.0.1", 5433, 5432, 5500, Instant.now()));
        store.register(new MemberInfo("b", null, "10.0.0.2", 5433, 5432, 5500, Instant.now()));
        store.setParameters(Map.of("work_mem", "64MB"));
        store.requestRestart("b");
        store.createRequest(new OperatorRequest(
                "r1", OperatorRequest.Kind.SWITCHOVER, "b", OperatorRequest.State.PENDING, null, 0, Instant.now()));
        try (Published<KeeperStatus> a = store.keeperStatus("a");
                Published<ProxyStatus> p = store.proxyStatus("a");
                Published<Instant> w = store.witness("w")) {
            a.publish(status("a", 100));
            p.publish(new ProxyStatus("a", 4, Instant.now()));
            w.publish(Instant.now());
            await().atMost(WAIT)
                    .until(() -> store.snapshot().witnesses().containsKey("w")
                            && store.snapshot().keepers().containsKey("a")
                            && store.snapshot().proxies().containsKey("a"));
            ClusterSnapshot s = store.snapshot();
            assertThat(s.view().generation()).isEqualTo(4);
            assertThat(s.storedView()).isPresent();
            assertThat(s.members()).containsOnlyKeys("a", "b");
            assertThat(s.keeper("a").orElseThrow().writtenLsn()).isEqualTo(100);
            assertThat(s.proxies().get("a").generation()).isEqualTo(4);
            assertThat(s.parameters()).containsEntry("work_mem", "64MB");
            assertThat(s.restarts()).containsExactly("b");
            assertThat(s.request().orElseThrow().value().target()).isEqualTo("b");
            assertThat(s.session()).as("read on a live session").isNotZero();
            store.clearRestart("b");
            store.removeMember("b");
            assertThat(store.snapshot().restarts()).isEmpty();
            assertThat(store.snapshot().members()).containsOnlyKeys("a");
        }
    }

    /** Each read takes the last one's members as a guess (their values in the same request): it must never stick. */
    @Test
    void successiveSnapshotsFollowMembersThatComeChangeAndGo() {
        store.register(new MemberInfo("a", null, "10.0.0.1", 5433, 5432, 5500, Instant.now()));
        assertThat(store.snapshot().members()).containsOnlyKeys("a");
        store.register(new MemberInfo("b", null, "10.0.0.2", 5433, 5432, 5500, Instant.now()));
        assertThat(store.snapshot().members()).containsOnlyKeys("a", "b");
        store.register(new MemberInfo("a", null, "10.0.0.3", 5433, 5432, 5500, Instant.now()));
        assertThat(store.snapshot().members().get("a").host()).isEqualTo("10.0.0.3");
        store.removeMember("a");
        assertThat(store.snapshot().members()).containsOnlyKeys("b");
        store.register(new MemberInfo("a", null, "10.0.0.4", 5433, 5432, 5500, Instant.now()));
        ClusterSnapshot s = store.snapshot();
        assertThat(s.members()).containsOnlyKeys("a", "b");
        assertThat(s.members().get("a").host()).isEqualTo("10.0.0.4");
        assertThat(s.members().get("b").host()).isEqualTo("10.0.0.2");
    }

    /** A value whose bytes did not change is not parsed again (snapshots share it); one that changed is read anew. */
    @Test
    void successiveSnapshotsShareWhatDidNotChangeAndReadWhatDid() {
        store.compareAndSetView(view(4, "a"), Optional.empty());
        store.register(new MemberInfo("a", null, "10.0.0.1", 5433, 5432, 5500, Instant.EPOCH));
        store.register(new MemberInfo("b", null, "10.0.0.2", 5433, 5432, 5500, Instant.EPOCH));
        ClusterSnapshot first = store.snapshot();
        store.register(new MemberInfo("b", null, "10.0.0.3", 5433, 5432, 5500, Instant.EPOCH));
        store.register(new MemberInfo("a", null, "10.0.0.1", 5433, 5432, 5500, Instant.EPOCH)); // written, same bytes
        ClusterSnapshot second = store.snapshot();
        assertThat(second.view()).isSameAs(first.view());
        assertThat(second.members().get("a")).isSameAs(first.members().get("a"));
        assertThat(second.members().get("b").host()).isEqualTo("10.0.0.3");
        store.compareAndSetView(
                view(5, "b"), Optional.of(second.storedView().orElseThrow().version()));
        assertThat(store.snapshot().view().leader()).isEqualTo("b");
    }

    @Test
    void aPublishedStatusVanishesWithItsSession() {
        ZooKeeperStore other = connect(cluster);
        Published<KeeperStatus> node = other.keeperStatus("k1");
        node.publish(status("k1", 10));
        await().atMost(WAIT).until(() -> store.snapshot().keepers().containsKey("k1"));
        node.publish(status("k1", 20));
        await().atMost(WAIT)
                .until(() -> store.snapshot()
                                .keeper("k1")
                                .map(KeeperStatus::writtenLsn)
                                .orElse(0L)
                        == 20);
        other.close(); // the session ends: the member is gone
        await().atMost(WAIT).until(() -> store.snapshot().keepers().isEmpty());
    }

    @Test
    void aValuePublishedBeforeTheFirstCreateCompletedIsNotLost() {
        // A proxy acknowledges each view generation once: its second publish, while the first is still being
        // created, must reach the store (it once did not, and a failover waited for that acknowledgement forever).
        for (long round = 1; round <= 20; round++) {
            try (ZooKeeperStore other = connect(cluster)) {
                Published<ProxyStatus> ack = other.proxyStatus("p" + round);
                ack.publish(new ProxyStatus("p" + round, 165, Instant.now()));
                ack.publish(new ProxyStatus("p" + round, 166, Instant.now()));
                String id = "p" + round;
                await().atMost(WAIT)
                        .until(() -> store.snapshot().proxies().containsKey(id)
                                && store.snapshot().proxies().get(id).generation() == 166);
            }
        }
    }

    @Test
    void aStatusLeftByAnEarlierRunIsRemovedBeforeTheFirstPublish() throws Exception {
        // An earlier run of member k1 was killed: its session (and its status) lives on until it expires.
        try (CuratorFramework earlier = rawClient(cluster)) {
            earlier.start();
            earlier.create()
                    .creatingParentsIfNeeded()
                    .withMode(CreateMode.EPHEMERAL)
                    .forPath("/pgha/" + cluster + "/keepers/k1", Json.write(status("k1", 5)));
            assertThat(store.snapshot().keepers()).containsKey("k1");
            try (Published<KeeperStatus> again = store.keeperStatus("k1")) {
                assertThat(store.snapshot().keepers())
                        .as("it must not look alive")
                        .doesNotContainKey("k1");
                again.publish(status("k1", 7));
                await().atMost(WAIT)
                        .until(() -> store.snapshot()
                                        .keeper("k1")
                                        .map(KeeperStatus::writtenLsn)
                                        .orElse(0L)
                                == 7);
            }
        }
    }

    @Test
    void historyKeepsTheNewestEntries() {
        for (int i = 1; i <= 5; i++) {
            store.appendHistory(new HistoryEntry(Instant.now(), i, "m" + (i - 1), "m" + i, "test", i * 100L), 3);
        }
        assertThat(store.history()).extracting(HistoryEntry::generation).containsExactly(3L, 4L, 5L);
    }

    @Test
    void everyListenerOfATopicHearsItsChangesAndNoOther() {
        AtomicInteger views = new AtomicInteger();
        AtomicInteger alsoViews = new AtomicInteger();
        AtomicInteger members = new AtomicInteger();
        try (Subscription a = store.onChange(EnumSet.of(Topic.VIEW), views::incrementAndGet);
                Subscription b = store.onChange(EnumSet.of(Topic.VIEW), alsoViews::incrementAndGet);
                Subscription c = store.onChange(EnumSet.of(Topic.MEMBERS), members::incrementAndGet)) {
            await().atMost(WAIT).until(() -> views.get() >= 1 && members.get() >= 1); // initialised
            int before = views.get();
            int alsoBefore = alsoViews.get();
            int membersBefore = members.get();
            store.compareAndSetView(view(1, "a"), Optional.empty());
            await().atMost(WAIT).until(() -> views.get() > before && alsoViews.get() > alsoBefore);
            assertThat(members.get()).isEqualTo(membersBefore);
        }
    }

    @Test
    void unparseableChildIsSkippedNotFatal() throws Exception {
        try (CuratorFramework raw = rawClient(cluster)) {
            raw.start();
            raw.create()
                    .creatingParentsIfNeeded()
                    .forPath("/pgha/" + cluster + "/members/broken", "{nope".getBytes(StandardCharsets.UTF_8));
        }
        store.register(new MemberInfo("ok", null, "h", 1, 2, 3, Instant.now()));
        assertThat(store.snapshot().members()).containsOnlyKeys("ok");
    }

    @Test
    void theLeaseHoldsWhileTheSessionSurelyLivesAndEndsWithoutWordFromTheServer() throws Exception {
        AtomicBoolean valid = new AtomicBoolean();
        try (SessionLease lease = store.lease(valid::set)) {
            assertThat(lease.valid()).as("nothing adopted yet").isFalse();
            lease.adopt(store.snapshot());
            assertThat(lease.valid()).isTrue();
            await().atMost(WAIT).untilTrue(valid);
            zk.stop();
            try {
                // no word from ZooKeeper for a session timeout (2 s): the lease is over
                await().atMost(WAIT).untilFalse(valid);
                assertThat(lease.valid()).isFalse();
            } finally {
                zk.restart();
            }
            // a new session renews nothing until its owner adopts a snapshot read on it
            await().atMost(Duration.ofSeconds(30)).until(() -> store.connected());
            ClusterSnapshot s = await().atMost(WAIT).ignoreExceptions().until(store::snapshot, x -> x.session() != 0);
            lease.adopt(s);
            await().atMost(WAIT).untilTrue(valid);
        }
    }

    @Test
    void aSnapshotReadAcrossTwoSessionsBelongsToNeither() {
        store.compareAndSetView(view(1, "a"), Optional.empty());
        SnapshotReader reader = new SnapshotReader(store.client(), new StorePaths(cluster));
        AtomicLong sessions = new AtomicLong(41); // 42 before the read, 43 after it: Curator retried on a new one
        ClusterSnapshot across = reader.read(sessions::incrementAndGet);
        assertThat(across.view().leader()).isEqualTo("a");
        assertThat(across.session()).as("no session vouches for it").isZero();
        assertThat(reader.read(() -> 7).session()).isEqualTo(7);
    }

    @Test
    void aLateSnapshotOfAReplacedSessionDoesNotTakeTheLeaseBackToIt() throws Exception {
        AtomicBoolean valid = new AtomicBoolean();
        try (SessionLease lease = store.lease(valid::set)) {
            ClusterSnapshot old = store.snapshot();
            lease.adopt(old);
            await().atMost(WAIT).untilTrue(valid);
            store.client().getZookeeperClient().getZooKeeper().getTestable().injectSessionExpiration();
            ClusterSnapshot fresh = await().atMost(WAIT)
                    .ignoreExceptions()
                    .until(store::snapshot, x -> x.session() != 0 && x.session() != old.session());
            await().atMost(WAIT).untilFalse(valid); // the heartbeat found the new session
            lease.adopt(old); // read on the old session, acted on late (within its session timeout)
            assertThat(lease.valid()).as("the client replaced that session").isFalse();
            lease.adopt(fresh);
            assertThat(lease.valid()).isTrue();
        }
    }

    @Test
    void aMembersLeasesShareOneHeartbeatAndEachHoldsOnlyTheSessionItAdopted() throws Exception {
        Set<Thread> before = heartbeatThreads();
        AtomicBoolean keeperValid = new AtomicBoolean();
        AtomicBoolean proxyValid = new AtomicBoolean();
        try (SessionLease keeper = store.lease(keeperValid::set);
                SessionLease proxy = store.lease(proxyValid::set)) {
            ClusterSnapshot old = store.snapshot();
            keeper.adopt(old);
            await().atMost(WAIT).untilTrue(keeperValid);
            assertThat(proxy.valid()).as("the proxy adopted nothing yet").isFalse();
            proxy.adopt(old);
            await().atMost(WAIT).untilTrue(proxyValid);
            // a few heartbeats (every 250 ms): one request per beat for both leases, not one per lease
            Thread.sleep(600);
            Set<Thread> started = heartbeatThreads();
            started.removeAll(before);
            assertThat(started).as("session heartbeats this store started").hasSize(1);

            store.client().getZookeeperClient().getZooKeeper().getTestable().injectSessionExpiration();
            ClusterSnapshot fresh = await().atMost(WAIT)
                    .ignoreExceptions()
                    .until(store::snapshot, x -> x.session() != 0 && x.session() != old.session());
            await().atMost(WAIT).untilFalse(keeperValid);
            await().atMost(WAIT).untilFalse(proxyValid);
            keeper.adopt(fresh);
            assertThat(keeper.valid()).isTrue();
            assertThat(proxy.valid())
                    .as("the proxy still acts for the ended session")
                    .isFalse();
            proxy.adopt(fresh);
            assertThat(proxy.valid()).isTrue();
        }
    }

    private static Set<Thread> heartbeatThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().equals("session-lease") && t.isAlive())
                .collect(Collectors.toCollection(HashSet::new));
    }

    @Test
    void unreachableStoreIsNamedInTheError() {
        assertThatThrownBy(() -> ZooKeeperStore.connect(
                        "127.0.0.1:1",
                        "x",
                        auth("x"),
                        Duration.ofSeconds(2),
                        Duration.ofSeconds(1),
                        "ZooKeeper at 127.0.0.1:1 (PGHA_ZK_CONNECT)"))
                .isInstanceOf(PghaException.class)
                .hasMessage("cannot reach ZooKeeper at 127.0.0.1:1 (PGHA_ZK_CONNECT) within 1s: check that it runs and "
                        + "the address is right");
    }

    @Test
    void aClientWithoutTheSecretCanNeitherReadNorWrite() throws Exception {
        store.compareAndSetView(view(1, "a"), Optional.empty());
        store.setParameters(Map.of("work_mem", "8MB"));
        try (CuratorFramework anonymous =
                CuratorFrameworkFactory.newClient(zk.getConnectString(), 2000, 2000, new RetryOneTime(100))) {
            anonymous.start();
            String root = "/pgha/" + cluster;
            assertThatThrownBy(() -> anonymous.getData().forPath(root + "/view"))
                    .isInstanceOf(KeeperException.class);
            assertThatThrownBy(() -> anonymous.setData().forPath(root + "/parameters", "{}".getBytes(UTF_8)))
                    .isInstanceOf(KeeperException.class);
            assertThatThrownBy(() -> anonymous.create().forPath(root + "/restarts/a"))
                    .isInstanceOf(KeeperException.class);
        }
        assertThat(store.snapshot().parameters()).containsEntry("work_mem", "8MB");
    }

    @Test
    void aWrongSecretIsRefusedWithAMessageThatSaysWhatToSet() {
        assertThatThrownBy(() -> ZooKeeperStore.connect(
                        zk.getConnectString(),
                        cluster,
                        new ZooKeeperAuth(cluster, Secret.of("not-the-secret")),
                        Duration.ofSeconds(2),
                        Duration.ofSeconds(10),
                        "test ZooKeeper"))
                .isInstanceOf(PghaException.class)
                .hasMessageStartingWith(
                        "test ZooKeeper refused pgha's credentials (SASL DIGEST-MD5 as user pgha-" + cluster + ")")
                .hasMessageContaining("PGHA_STORE_SECRET")
                .hasMessageNotContaining("not-the-secret");
    }

    @Test
    void everyZnodeBelongsToTheClusterIdentityAndOpenOnesAreClosedOnConnect() throws Exception {
        String root = "/pgha/" + cluster;
        store.register(new MemberInfo("m", null, "h", 1, 2, 3, Instant.now()));
        // what a version without store authentication left behind: a world-writable znode
        try (CuratorFramework old = CuratorFrameworkFactory.builder()
                .connectString(zk.getConnectString())
                .retryPolicy(new RetryOneTime(100))
                .zkClientConfig(auth(cluster).clientConfig())
                .build()) {
            old.start();
            old.create().withACL(ZooDefs.Ids.OPEN_ACL_UNSAFE).forPath(root + "/parameters", "{}".getBytes(UTF_8));
            for (String path : List.of(root, root + "/members", root + "/members/m")) {
                old.setACL().withACL(ZooDefs.Ids.OPEN_ACL_UNSAFE).forPath(path);
            }
            assertThat(old.getACL().forPath(root + "/parameters")).isEqualTo(ZooDefs.Ids.OPEN_ACL_UNSAFE);
        }
        try (ZooKeeperStore upgraded = connect(cluster);
                CuratorFramework raw = rawClient(cluster)) {
            raw.start();
            List<ACL> only = List.of(new ACL(ZooDefs.Perms.ALL, new Id("sasl", "pgha-" + cluster)));
            for (String path : List.of(root, root + "/members", root + "/members/m", root + "/parameters")) {
                assertThat(raw.getACL().forPath(path)).as(path).isEqualTo(only);
            }
            assertThat(upgraded.snapshot().members()).containsKey("m");
        }
    }

    @Test
    void aRegistrationWithAnInvalidAddressIsSkipped() throws Exception {
        try (CuratorFramework raw = rawClient(cluster)) {
            raw.start();
            raw.create()
                    .creatingParentsIfNeeded()
                    .forPath(
                            "/pgha/" + cluster + "/members/evil",
                            ("{\"id\":\"evil\",\"host\":\"db host=attacker\",\"pgPort\":5433,\"proxyPort\":5432,"
                                            + "\"httpPort\":5500}")
                                    .getBytes(UTF_8));
            raw.create()
                    .forPath(
                            "/pgha/" + cluster + "/members/port",
                            "{\"id\":\"port\",\"host\":\"10.0.0.9\",\"pgPort\":70000}".getBytes(UTF_8));
        }
        store.register(new MemberInfo("ok", null, "10.0.0.1", 5433, 5432, 5500, Instant.now()));
        assertThat(store.snapshot().members()).containsOnlyKeys("ok");
    }
}
