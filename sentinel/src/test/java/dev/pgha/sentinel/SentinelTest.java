package dev.pgha.sentinel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.pgha.common.model.Cause;
import dev.pgha.common.model.ClusterSpec;
import dev.pgha.common.model.ClusterView;
import dev.pgha.common.model.KeeperStatus;
import dev.pgha.common.model.MemberInfo;
import dev.pgha.common.model.Phase;
import dev.pgha.common.model.ProxyStatus;
import dev.pgha.common.model.Statuses;
import dev.pgha.common.store.InMemoryCluster;
import dev.pgha.common.store.InMemoryClusterStore;
import dev.pgha.common.store.Published;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The sentinel's loop against the in-memory store: election, one snapshot per evaluation, writes and history. */
class SentinelTest {
    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final ClusterSpec SPEC =
            new ClusterSpec(null, ClusterSpec.SyncMode.AUTO, false, Duration.ofSeconds(1));
    private final InMemoryCluster cluster = new InMemoryCluster();
    private final InMemoryClusterStore keepers = cluster.connect();
    private final InMemoryClusterStore storeA = cluster.connect();
    private final InMemoryClusterStore storeB = cluster.connect();
    private final Sentinel a = new Sentinel(storeA, "a", SPEC, Duration.ofMillis(100), Duration.ofHours(48));
    private final Sentinel b = new Sentinel(storeB, "b", SPEC, Duration.ofMillis(100), Duration.ofHours(48));

    @AfterEach
    void stop() {
        a.close();
        b.close();
    }

    private ClusterView view() {
        return keepers.snapshot().view();
    }

    private static KeeperStatus primary(
            String id, long generation, List<String> streaming, boolean healthy, String problem) {
        return (healthy
                        ? Statuses.primary(id, 1000)
                        : Statuses.primary(id, 1000).unhealthy(problem))
                .applied(generation)
                .at(Instant.now())
                .streaming(streaming)
                .synchronousNames(streaming)
                .confirmed(!streaming.isEmpty())
                .build(); // waits for its streaming standbys, and they have all it acknowledged
    }

    private static KeeperStatus standby(String id, String following) {
        return standby(id, following, 0);
    }

    /** Following nobody, it has settled: its WAL positions are final since view generation {@code walFinal}. */
    private static KeeperStatus standby(String id, String following, long walFinal) {
        return Statuses.standby(id, 1000, following)
                .applied(0)
                .at(Instant.now())
                .walFinal(walFinal)
                .build();
    }

    /** A member with no data yet: the one to create the cluster. */
    private static KeeperStatus empty(String id) {
        return Statuses.down(id, "empty").empty().applied(0).at(Instant.now()).build();
    }

    /** A member whose postgres is down, saying why, unhealthy since {@code since}. */
    private static KeeperStatus down(String id, String problem, long generation, Instant since) {
        return Statuses.down(id, problem)
                .applied(generation)
                .at(Instant.now())
                .unhealthySince(since)
                .build();
    }

    @Test
    void theElectedSentinelCreatesTheClusterAndFailsOverFromALeaderWhosePostgresDied() {
        keepers.register(new MemberInfo("a", null, "h", 1, 2, 3, Instant.now()));
        keepers.register(new MemberInfo("b", null, "h", 1, 2, 3, Instant.now()));
        a.start();
        b.start();
        await().atMost(WAIT).until(() -> a.isLeader() ^ b.isLeader());
        try (Published<KeeperStatus> ka = keepers.keeperStatus("a");
                Published<KeeperStatus> kb = keepers.keeperStatus("b");
                Published<ProxyStatus> pa = keepers.proxyStatus("a")) {
            ka.publish(empty("a"));
            await().atMost(WAIT).until(() -> "a".equals(view().leader()) && view().phase() == Phase.INITIALIZING);
            assertThat(view().cause()).isEqualTo(Cause.BOOTSTRAP);
            ka.publish(primary("a", view().generation(), List.of(), true, null));
            await().atMost(WAIT).until(() -> view().phase() == Phase.NORMAL);
            await().atMost(WAIT).until(() -> !keepers.history().isEmpty()); // appended once the view is written
            assertThat(keepers.history())
                    .singleElement()
                    .satisfies(h -> assertThat(h.newLeader()).isEqualTo("a"));

            // b streams from a, and a (waiting for it) confirms b has all it acknowledged: b is its synchronous standby
            kb.publish(standby("b", "a"));
            ka.publish(primary("a", view().generation(), List.of("b"), true, null));
            await().atMost(WAIT).until(() -> view().synchronousNames().equals(List.of("b")));
            ka.publish(primary("a", view().generation(), List.of("b"), true, null));

            // a's postgres dies: its keeper says why, and after failTimeout the sentinel fails over, naming it
            String died = "postgres exited unexpectedly with code 137: LOG:  terminating any other active server "
                    + "processes";
            Instant since = Instant.now();
            long generation = view().generation();
            pa.publish(new ProxyStatus("a", 0, Instant.now()));
            // like a keeper, it reports every heartbeat (a silent leader would fail over for another reason)
            ScheduledExecutorService heartbeat = Executors.newSingleThreadScheduledExecutor();
            heartbeat.scheduleWithFixedDelay(
                    () -> ka.publish(down("a", died, generation, since)), 0, 200, TimeUnit.MILLISECONDS);
            try {
                await().atMost(WAIT).until(() -> view().phase() != Phase.NORMAL);
            } finally {
                heartbeat.shutdownNow();
            }
            ClusterView fencing = cluster.viewHistory().stream()
                    .filter(v -> v.phase() == Phase.FAILOVER_FENCING)
                    .findFirst()
                    .orElseThrow();
            assertThat(fencing.cause()).isEqualTo(Cause.FAILOVER);
            assertThat(fencing.reason())
                    .isEqualTo("failover: leader a has been unhealthy for more than 1s (cluster.failTimeout): " + died
                            + "; fencing");
            // the proxy acknowledges the fencing and b, as its keeper would, stops receiving WAL and reports its
            // final position: the synchronous standby is promoted (not a, although its keeper is back)
            pa.publish(new ProxyStatus("a", view().generation(), Instant.now()));
            await().atMost(WAIT).until(() -> view().explanation().contains("waiting for b to stop receiving WAL"));
            kb.publish(standby("b", null, view().generation()));
            await().atMost(WAIT).until(() -> "b".equals(view().leader()));
            assertThat(view().phase()).isEqualTo(Phase.FAILOVER_PROMOTING);
        }
    }

    @Test
    void whenTheElectedSentinelsSessionEndsTheOtherDecides() {
        keepers.register(new MemberInfo("a", null, "h", 1, 2, 3, Instant.now()));
        a.start();
        await().atMost(WAIT).until(a::isLeader);
        b.start();
        storeA.expire();
        await().atMost(WAIT).until(b::isLeader);
        assertThat(a.isLeader()).isFalse();
        try (Published<KeeperStatus> ka = keepers.keeperStatus("a")) {
            ka.publish(empty("a"));
            await().atMost(WAIT).until(() -> "a".equals(view().leader()));
        }
        storeA.reconnect(); // a new session: it stands for election again, behind b
        assertThat(b.isLeader()).isTrue();
    }

    @Test
    void theElectedSentinelKeepsAnOperatorsPauseAndEndsItAtItsEndTime() {
        a.start();
        await().atMost(WAIT).until(() -> keepers.snapshot().storedSpec().isPresent());
        var stored = keepers.snapshot().storedSpec().orElseThrow();
        ClusterSpec.Pause open = new ClusterSpec.Pause(Instant.now(), null);
        assertThat(keepers.compareAndSetSpec(stored.value().withPause(open), Optional.of(stored.version())))
                .isTrue();
        // evaluated many times over: the sentinel rewrites the spec only where its configuration differs
        await().pollDelay(Duration.ofMillis(500)).atMost(WAIT).until(() -> true);
        assertThat(keepers.snapshot().spec().pause()).isEqualTo(open);
        // a pause with an end time ends there, by the sentinel's hand
        stored = keepers.snapshot().storedSpec().orElseThrow();
        ClusterSpec.Pause ending =
                new ClusterSpec.Pause(Instant.now(), Instant.now().plusMillis(700));
        assertThat(keepers.compareAndSetSpec(stored.value().withPause(ending), Optional.of(stored.version())))
                .isTrue();
        await().atMost(WAIT).until(() -> !keepers.snapshot().spec().paused());
        assertThat(keepers.snapshot().spec()).isEqualTo(SPEC);
    }

    @Test
    void theElectedSentinelKeepsTheOperatorsMemberTags() {
        a.start();
        await().atMost(WAIT).until(() -> keepers.snapshot().storedSpec().isPresent());
        var stored = keepers.snapshot().storedSpec().orElseThrow();
        Map<String, String> tags = Map.of("b", "nosync=true");
        assertThat(keepers.compareAndSetSpec(stored.value().withMemberTags(tags), Optional.of(stored.version())))
                .isTrue();
        await().pollDelay(Duration.ofMillis(500)).atMost(WAIT).until(() -> true); // many rounds
        assertThat(keepers.snapshot().spec().memberTags()).isEqualTo(tags);
    }

    @Test
    void theOperatorsRuntimeSettingsApplyOverTheElectedSentinelsConfigurationUntilReset() {
        a.start();
        await().atMost(WAIT).until(() -> keepers.snapshot().storedSpec().isPresent());
        var stored = keepers.snapshot().storedSpec().orElseThrow();
        assertThat(keepers.compareAndSetSpec(
                        stored.value().withSettings(Map.of("cluster.failTimeout", "7s", "proxy.holdTimeout", "20s")),
                        Optional.of(stored.version())))
                .isTrue();
        await().atMost(WAIT).until(() -> keepers.snapshot().spec().failTimeout().equals(Duration.ofSeconds(7)));
        assertThat(keepers.snapshot().spec().holdTimeout()).isEqualTo(Duration.ofSeconds(20));
        // a value that is not valid (the store is not trusted) is ignored: the configuration applies
        stored = keepers.snapshot().storedSpec().orElseThrow();
        assertThat(keepers.compareAndSetSpec(
                        stored.value().withSettings(Map.of("cluster.failTimeout", "forever")),
                        Optional.of(stored.version())))
                .isTrue();
        await().atMost(WAIT).until(() -> keepers.snapshot().spec().failTimeout().equals(SPEC.failTimeout()));
        // reset: the configuration again
        stored = keepers.snapshot().storedSpec().orElseThrow();
        assertThat(keepers.compareAndSetSpec(stored.value().withSettings(Map.of()), Optional.of(stored.version())))
                .isTrue();
        await().atMost(WAIT).until(() -> keepers.snapshot().spec().equals(SPEC));
    }
}
