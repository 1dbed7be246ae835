package dev.pgha.store;

import dev.pgha.common.PghaException;
import dev.pgha.common.config.ZkPeer;
import dev.pgha.common.fs.PrivateFiles;
import java.io.Closeable;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;
import org.apache.zookeeper.server.quorum.QuorumPeerConfig;
import org.apache.zookeeper.server.quorum.QuorumPeerMain;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This node's voter of an embedded ZooKeeper ensemble (PGHA_ZK_ENSEMBLE / PGHA_ZK_MYID). Like the standalone
 * server it runs a short tick, since sessions expire only on a tick; the sync limits allow a peer a few seconds to
 * join, which is what a restarted node needs.
 */
public final class ZooKeeperPeer implements Closeable {
    private final AtomicBoolean closed = new AtomicBoolean();
    private static final Logger log = LoggerFactory.getLogger(ZooKeeperPeer.class);
    private static final Duration INIT_LIMIT = Duration.ofSeconds(10);
    private static final Duration SYNC_LIMIT = Duration.ofSeconds(2);

    private final Peer main;
    private final Thread thread;
    private final String connectString;

    /** QuorumPeerMain with a way to stop it from another thread. */
    private static final class Peer extends QuorumPeerMain {
        void shutdown() {
            if (quorumPeer != null) {
                quorumPeer.shutdown();
            }
        }
    }

    private ZooKeeperPeer(Peer main, Thread thread, String connectString) {
        this.main = main;
        this.thread = thread;
        this.connectString = connectString;
    }

    /**
     * Starts this node's peer: it accepts only clients that authenticate as {@code auth}'s identity, and peers that
     * hold the same secret.
     */
    public static ZooKeeperPeer start(
            Path dir, List<ZkPeer> ensemble, int myId, Duration tickTime, ZooKeeperAuth auth) {
        QuorumPeerConfig config = new QuorumPeerConfig();
        try {
            PrivateFiles.privateDirectory(dir);
            PrivateFiles.write(dir.resolve("myid"), (myId + "\n").getBytes(StandardCharsets.UTF_8));
            auth.configureServers();
            Properties properties = properties(dir, ensemble, tickTime);
            auth.configureQuorum(properties);
            if (auth.secure()) {
                secureClientPort(properties, ensemble, myId);
            }
            config.parseProperties(properties);
        } catch (IOException | QuorumPeerConfig.ConfigException e) {
            throw new PghaException(
                    "cannot configure the embedded ZooKeeper peer " + myId + " in " + dir + ": " + e.getMessage());
        }
        Peer main = new Peer();
        Thread thread = new Thread(
                () -> {
                    try {
                        main.runFromConfig(config);
                    } catch (Exception e) {
                        log.error("ZooKeeper peer {} stopped: {}", myId, e.toString());
                    }
                },
                "zookeeper-peer");
        thread.setDaemon(true);
        thread.start();
        String connect = ensemble.stream().map(ZkPeer::clientAddress).collect(Collectors.joining(","));
        ZkPeer self = ensemble.stream().filter(p -> p.id() == myId).findFirst().orElseThrow();
        log.info(
                "embedded ZooKeeper peer {} of {} starting (peer {}:{}, election {}:{}, clients {}, tick {} ms)",
                myId,
                ensemble.size(),
                self.host(),
                self.peerPort(),
                self.host(),
                self.electionPort(),
                self.clientAddress(),
                tickTime.toMillis());
        return new ZooKeeperPeer(main, thread, connect);
    }

    static Properties properties(Path dir, List<ZkPeer> ensemble, Duration tickTime) {
        long tick = tickTime.toMillis();
        Properties p = new Properties();
        p.setProperty("tickTime", Long.toString(tick));
        p.setProperty("initLimit", Long.toString(Math.max(5, INIT_LIMIT.toMillis() / tick)));
        p.setProperty("syncLimit", Long.toString(Math.max(2, SYNC_LIMIT.toMillis() / tick)));
        p.setProperty("dataDir", dir.toString());
        p.setProperty("maxClientCnxns", "200");
        p.setProperty("admin.enableServer", "false");
        p.setProperty("reconfigEnabled", "false");
        p.setProperty("standaloneEnabled", "false");
        p.setProperty("autopurge.snapRetainCount", "3");
        p.setProperty("autopurge.purgeInterval", "1");
        for (ZkPeer peer : ensemble) {
            p.setProperty("server." + peer.id(), peer.serverLine());
        }
        return p;
    }

    /**
     * With TLS the client port speaks TLS only: the server lines lose their plain client address, and this peer's
     * becomes its secure client port.
     */
    private static void secureClientPort(Properties p, List<ZkPeer> ensemble, int myId) {
        for (ZkPeer peer : ensemble) {
            p.setProperty("server." + peer.id(), peer.host() + ":" + peer.peerPort() + ":" + peer.electionPort());
        }
        ZkPeer self = ensemble.stream().filter(e -> e.id() == myId).findFirst().orElseThrow();
        p.setProperty("secureClientPort", Integer.toString(self.clientPort()));
        p.setProperty("secureClientPortAddress", self.clientHost());
    }

    /** Every peer's client address: clients fail over between them. */
    public String connectString() {
        return connectString;
    }

    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return; // closed already
        }
        main.shutdown();
        try {
            thread.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        log.info("embedded ZooKeeper peer stopped");
    }
}
