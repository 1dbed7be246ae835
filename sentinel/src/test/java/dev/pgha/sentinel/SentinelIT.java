package dev.pgha.sentinel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.pgha.common.model.ClusterSpec;
import dev.pgha.common.model.ClusterView;
import dev.pgha.common.model.KeeperStatus;
import dev.pgha.common.model.Phase;
import dev.pgha.common.model.Statuses;
import dev.pgha.common.secret.Secret;
import dev.pgha.common.store.Published;
import dev.pgha.common.store.Versioned;
import dev.pgha.store.ZooKeeperAuth;
import dev.pgha.store.ZooKeeperStore;
import java.time.Duration;
import java.time.Instant;
import org.apache.curator.test.TestingServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Two sentinels against a real ZooKeeper: one decides, the other takes over when it goes. */
class SentinelIT {
    private static final Duration WAIT = Duration.ofSeconds(15);
    private static final ZooKeeperAuth AUTH = new ZooKeeperAuth("it", Secret.of("sentinel-it-store-secret"));
    private TestingServer zk;
    private ZooKeeperStore storeA;
    private ZooKeeperStore storeB;
    private ZooKeeperStore observer;

    @BeforeEach
    void start() throws Exception {
        AUTH.configureServers();
        zk = new TestingServer(true);
        storeA = connect();
        storeB = connect();
        observer = connect();
    }

    @AfterEach
    void stop() throws Exception {
        storeA.close();
        storeB.close();
        observer.close();
        zk.close();
    }

    private ZooKeeperStore connect() {
        return ZooKeeperStore.connect(
                zk.getConnectString(), "it", AUTH, Duration.ofSeconds(2), Duration.ofSeconds(10), "zk");
    }

    /** A member with no data whose postgres does not run, or one running as the primary with WAL up to 1000. */
    private static KeeperStatus status(String id, boolean primary) {
        Statuses.Builder b = primary
                ? Statuses.primary(id, 1000).systemId(42L << 32)
                : Statuses.down(id, "no data yet").empty();
        return b.applied(1000).at(Instant.now()).build();
    }

    private ClusterView view() {
        return observer.view().map(Versioned::value).orElse(ClusterView.initial());
    }

    @Test
    void electedSentinelBootstrapsTheClusterAndTheOtherTakesOver() throws Exception {
        Sentinel a = new Sentinel(storeA, "a", ClusterSpec.of(null), Duration.ofMillis(100), Duration.ofHours(48));
        Sentinel b = new Sentinel(storeB, "b", ClusterSpec.of(null), Duration.ofMillis(100), Duration.ofHours(48));
        a.start();
        b.start();
        try {
            await().atMost(WAIT).until(() -> a.isLeader() ^ b.isLeader());
            Sentinel leader = a.isLeader() ? a : b;
            Sentinel follower = leader == a ? b : a;

            // Keeper k1 appears, empty: it is designated to create the cluster.
            Published<KeeperStatus> k1 = observer.keeperStatus("k1");
            k1.publish(status("k1", false));
            await().atMost(WAIT).until(() -> "k1".equals(view().leader()));
            assertThat(view().phase()).isEqualTo(Phase.INITIALIZING);
            long designated = view().generation();

            // It reports a running primary: the cluster turns NORMAL and the change is in the history.
            k1.publish(status("k1", true));
            await().atMost(WAIT).until(() -> view().phase() == Phase.NORMAL);
            assertThat(view().generation()).isEqualTo(designated + 1);
            // the sentinel appends to the history once its view is written (a view that lost its compare-and-set
            // changed no leader), so the entry may follow the view by a moment
            await().atMost(WAIT).until(() -> !observer.history().isEmpty());
            assertThat(observer.history()).singleElement().satisfies(h -> {
                assertThat(h.newLeader()).isEqualTo("k1");
                assertThat(h.leaderLsn()).isEqualTo(1000);
            });
            assertThat(observer.snapshot().storedSpec()).isPresent();

            // The elected sentinel goes away; the other is elected and keeps the view as it is.
            leader.close();
            await().atMost(WAIT).until(follower::isLeader);
            Thread.sleep(500);
            assertThat(view().leader()).isEqualTo("k1");
            assertThat(view().phase()).isEqualTo(Phase.NORMAL);
            k1.close();
        } finally {
            a.close();
            b.close();
        }
    }

    @Test
    void primaryRegionOfTheElectedSentinelRulesAndLeaderlessnessIsExplained() throws Exception {
        Sentinel a = new Sentinel(storeA, "a", ClusterSpec.of("ams"), Duration.ofMillis(100), Duration.ofHours(48));
        a.start();
        try (Published<KeeperStatus> k = observer.keeperStatus("lhr-node")) {
            k.publish(Statuses.down("lhr-node", "x")
                    .empty()
                    .region("lhr")
                    .applied(0)
                    .at(Instant.now())
                    .build());
            await().atMost(WAIT)
                    .until(() -> view().explanation().startsWith("no leader: no keeper runs in primary region ams"));
            assertThat(view().leader()).isNull();
            assertThat(observer.snapshot().spec().primaryRegion()).isEqualTo("ams");
        } finally {
            a.close();
        }
    }
}
