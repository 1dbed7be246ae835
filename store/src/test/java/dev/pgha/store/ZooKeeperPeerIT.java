package dev.pgha.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pgha.common.config.ZkPeer;
import dev.pgha.common.model.ClusterView;
import dev.pgha.common.secret.Secret;
import dev.pgha.common.store.Versioned;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.apache.zookeeper.metrics.impl.NullMetricsProvider;
import org.apache.zookeeper.server.ServerMetrics;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** This node's embedded ZooKeeper: a one-voter ensemble across restarts. */
class ZooKeeperPeerIT {
    private static final ZooKeeperAuth AUTH = new ZooKeeperAuth("c", Secret.of("embedded-it-store-secret"));

    @TempDir
    Path dir;

    private static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    @Test
    void keepsTheClusterStateAcrossRestartsAndGrantsShortSessions() throws Exception {
        ZkPeer self = new ZkPeer(1, "127.0.0.1", freePort(), freePort(), "127.0.0.1", freePort());
        Path data = dir.resolve("zookeeper");
        try (ZooKeeperPeer zk = ZooKeeperPeer.start(data, List.of(self), 1, Duration.ofMillis(100), AUTH);
                ZooKeeperStore store = ZooKeeperStore.connect(
                        zk.connectString(), "c", AUTH, Duration.ofSeconds(5), Duration.ofSeconds(10), "zk")) {
            assertThat(store.compareAndSetView(ClusterView.initial(), Optional.empty()))
                    .isTrue();
            // ZooKeeper's own limit would be 20 ticks (2 s): a fine tick does not cap the session
            assertThat(store.negotiatedSessionTimeoutMs()).isEqualTo(5000);
            // without the latency reservoirs of ZooKeeper's default metrics (1.5 MB of an idle member's heap)
            assertThat(ServerMetrics.getMetrics().getMetricsProvider()).isInstanceOf(NullMetricsProvider.class);
        }
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(data)))
                .isEqualTo("rwx------");
        try (ZooKeeperPeer zk = ZooKeeperPeer.start(data, List.of(self), 1, Duration.ofMillis(250), AUTH);
                ZooKeeperStore store = ZooKeeperStore.connect(
                        zk.connectString(), "c", AUTH, Duration.ofSeconds(2), Duration.ofSeconds(10), "zk")) {
            assertThat(store.view()).map(Versioned::value).contains(ClusterView.initial());
        }
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(data.resolve("zoo.cfg"))))
                .isEqualTo("rw-------");
    }
}
