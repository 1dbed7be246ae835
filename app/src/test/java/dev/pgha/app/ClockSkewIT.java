package dev.pgha.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.pgha.common.model.HistoryEntry;
import dev.pgha.common.secret.Secret;
import dev.pgha.store.ZooKeeperAuth;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.apache.curator.test.TestingServer;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Nodes whose wall clocks disagree by a minute, and a change of the elected sentinel, fail nobody over: the sentinel
 * times keepers on its own monotonic clock, never by the stamps other nodes write. node-2's clock runs 30 s ahead and
 * node-3's 30 s behind (libfaketime, realtime only, as a mis-set clock would); node-3 leads while the sentinels of
 * node-1 and then node-2 decide, so a sentinel that compared stamps would see its statuses 30-60 s old.
 */
class ClockSkewIT {
    /** Debian's libfaketime, in this machine's multiarch directory. */
    private static final Path FAKETIME = faketime();
    /**
     * Long enough for a sentinel comparing stamps to act: it would see node-3's statuses 30-60 s old, beyond the
     * default cluster.failTimeout (10 s), at its first evaluation (every 500 ms).
     */
    private static final Duration WATCH = Duration.ofSeconds(5);

    private static final String STORE_SECRET = "skew-store-secret";

    private TestingServer zk;
    private PghaCluster cluster;

    @AfterEach
    void stop() throws Exception {
        try {
            if (cluster != null) {
                cluster.close();
            }
        } finally {
            if (zk != null) {
                zk.close();
            }
        }
    }

    private static Path faketime() {
        try (var dirs = Files.list(Path.of("/usr/lib"))) {
            return dirs.map(d -> d.resolve("faketime/libfaketime.so.1"))
                    .filter(Files::exists)
                    .findFirst()
                    .orElse(Path.of("/usr/lib/<arch>/faketime/libfaketime.so.1"));
        } catch (IOException e) {
            return Path.of("/usr/lib/<arch>/faketime/libfaketime.so.1");
        }
    }

    private static void skew(PghaNode node, String offset) {
        assertThat(FAKETIME)
                .as("libfaketime is missing: apt-get install faketime (scripts/test.sh installs it)")
                .exists();
        node.env.put("LD_PRELOAD", FAKETIME.toString());
        node.env.put("FAKETIME", offset);
        node.env.put("FAKETIME_DONT_FAKE_MONOTONIC", "1");
        // Debian's libfaketime turns its "monotonic fix" on for this glibc: it then shifts the deadlines of the JVM's
        // timed waits (pthread_cond_timedwait on CLOCK_MONOTONIC) by the offset, so every timed wait returns at once
        // and a node spins on both cores (seen: 22 s initdb and clones on the unskewed node, a CI timeout)
        node.env.put("FAKETIME_FORCE_MONOTONIC_FIX", "0");
    }

    @Test
    void clocksAMinuteApartAndASentinelChangeCauseNoLeaderChange() throws Exception {
        // An external ZooKeeper, so that stopping the sentinel's node changes the sentinel and nothing else: with
        // embedded peers, that node may lead the ensemble, whose election (and the clients' reconnection) can outlast
        // the 2 s session timeout on this busy machine and end the leader's session, a store outage of its own with a
        // stopped member that cannot promise anything (StoreOutageIT covers outages)
        new ZooKeeperAuth("pgha", Secret.of(STORE_SECRET)).configureServers();
        zk = new TestingServer(PghaNode.freePort(), true);
        cluster = new PghaCluster("pgha-skew", zk.getConnectString(), STORE_SECRET, 3);
        PghaNode ahead = cluster.node("node-2");
        PghaNode behind = cluster.node("node-3");
        skew(ahead, "+30s");
        skew(behind, "-30s");
        // node-3 joins last, so its sentinel is last in line: node-1's or node-2's decides
        cluster.node("node-1").start();
        ahead.start();
        await().atMost(PghaCluster.READY).ignoreExceptions().until(() -> cluster.electedSentinel() != behind);
        behind.start();
        PghaNode leader = cluster.awaitLeader(null, 2, PghaCluster.READY);
        if (leader != behind) {
            PghaCli.Result switched = PghaCli.run(cluster.node("node-1"), "switchover", "--to", "node-3");
            assertThat(switched.code()).as(switched.toString()).isZero();
        }
        PghaNode sentinel = cluster.electedSentinel();
        assertThat(sentinel).isNotSameAs(behind);
        cluster.awaitLeader(null, 2, PghaCluster.READY);
        assertThat(cluster.view().leader()).isEqualTo("node-3");
        List<HistoryEntry> before = cluster.history();

        Thread.sleep(WATCH.toMillis());
        assertThat(cluster.view().leader()).as(cluster.logTails(30)).isEqualTo("node-3");

        // The elected sentinel's node leaves; another sentinel decides from now on, starting without any history of
        // node-3's statuses. Usually node-2's (clock 30 s ahead of node-1's, 60 s of node-3's): node-3's sentinel
        // joined last, but a member whose store connection was lost on this busy machine queues again behind it.
        assertThat(sentinel.stop(Duration.ofSeconds(60))).isZero();
        try {
            await().atMost(Duration.ofSeconds(30))
                    .ignoreExceptions()
                    .until(() -> cluster.electedSentinel() != sentinel);
        } catch (ConditionTimeoutException e) {
            throw new AssertionError("no other sentinel was elected\n" + cluster.logTails(40), e);
        }
        Thread.sleep(WATCH.toMillis());

        assertThat(cluster.view().leader()).as(cluster.logTails(30)).isEqualTo("node-3");
        assertThat(cluster.history()).as(cluster.logTails(30)).isEqualTo(before);
        assertThat(cluster.logs()).doesNotContain("has not reported its status for more than");
    }
}
