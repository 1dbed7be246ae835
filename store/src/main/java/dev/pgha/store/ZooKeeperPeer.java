package dev.pgha.store;

import dev.pgha.common.PghaException;
import dev.pgha.common.config.ZkPeer;
import dev.pgha.common.fs.PrivateFiles;
import dev.pgha.common.store.StoreEnsemble;
import java.io.Closeable;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;
import javax.security.sasl.SaslException;
import org.apache.zookeeper.common.X509Util;
import org.apache.zookeeper.metrics.impl.NullMetricsProvider;
import org.apache.zookeeper.server.ZooKeeperServer;
import org.apache.zookeeper.server.auth.KerberosName;
import org.apache.zookeeper.server.quorum.Election;
import org.apache.zookeeper.server.quorum.QuorumPeer;
import org.apache.zookeeper.server.quorum.QuorumPeerConfig;
import org.apache.zookeeper.server.quorum.QuorumPeerMain;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This node's server of its embedded ZooKeeper ensemble. Every embedded ZooKeeper is a quorum peer with dynamic
 * reconfiguration: a single node is a one-voter ensemble that others join, and a peer's membership lives in the
 * dynamic configuration ZooKeeper keeps in its data directory ({@link PeerFiles}), which wins over the settings on
 * later starts. Like a standalone server it runs a short tick, since sessions expire only on a tick; the sync limits
 * allow a peer a few seconds to join, which is what a restarted node needs.
 */
public final class ZooKeeperPeer implements Closeable {
    private final AtomicBoolean closed = new AtomicBoolean();
    private static final Logger log = LoggerFactory.getLogger(ZooKeeperPeer.class);
    private static final Duration INIT_LIMIT = Duration.ofSeconds(10);
    private static final Duration SYNC_LIMIT = Duration.ofSeconds(2);
    /**
     * The longest session granted (store.sessionTimeout's upper bound): ZooKeeper's default, 20 ticks, would tie
     * a fine tick to short sessions.
     */
    private static final Duration MAX_SESSION = Duration.ofMinutes(1);

    private final Peer main;
    private final Thread thread;
    private final int myId;
    private final int servers;
    private final String connectString;

    /** QuorumPeerMain with a way to stop it from another thread, whose peer leads at once when it votes alone. */
    private static final class Peer extends QuorumPeerMain {
        @Override
        protected QuorumPeer getQuorumPeer() throws SaslException {
            return new QuorumPeer() {
                @Override
                protected Election createElectionAlgorithm(int algorithm) {
                    Election zookeepers = super.createElectionAlgorithm(algorithm);
                    return zookeepers == null ? null : new SoleVoterElection(this, zookeepers);
                }
            };
        }

        void shutdown() {
            if (quorumPeer != null) {
                quorumPeer.shutdown();
            }
        }

        boolean leading() {
            QuorumPeer q = quorumPeer;
            return q != null && q.getPeerState() == QuorumPeer.ServerState.LEADING;
        }

        boolean serving() {
            QuorumPeer q = quorumPeer;
            ZooKeeperServer server = q == null ? null : q.getActiveServer();
            return server != null && server.isRunning();
        }
    }

    private ZooKeeperPeer(Peer main, Thread thread, int myId, int servers, String connectString) {
        this.main = main;
        this.thread = thread;
        this.myId = myId;
        this.servers = servers;
        this.connectString = connectString;
    }

    /**
     * Starts this node's server {@code myId}: it accepts only clients that authenticate as {@code auth}'s identity,
     * and peers that hold the same secret. {@code initial} is the ensemble of a first start; once ZooKeeper keeps
     * a dynamic configuration in {@code dir}, that one is used (for a one-voter ensemble, this node's addresses are
     * taken from {@code initial} again, so a single node can move to an address others reach).
     */
    public static ZooKeeperPeer start(Path dir, List<ZkPeer> initial, int myId, Duration tickTime, ZooKeeperAuth auth) {
        PeerFiles files = new PeerFiles(dir);
        List<ZkPeer> servers = initial;
        QuorumPeerConfig config = new QuorumPeerConfig();
        try {
            PrivateFiles.privateDirectory(dir);
            StoreEnsemble kept = files.dynamicConfig().orElse(null);
            if (kept != null && !singleVoterMoved(kept, initial, myId)) {
                servers = kept.servers();
                if (initial.size() > 1 && !new HashSet<>(initial).equals(new HashSet<>(kept.servers()))) {
                    log.warn(
                            "the ensemble ZooKeeper keeps in {} ({} servers) differs from the one configured ({}); "
                                    + "it was changed since (nodes joined or were removed) and wins",
                            dir,
                            kept.servers().size(),
                            initial.size());
                } else if (initial.size() == 1
                        && !kept.server(myId)
                                .map(k -> k.withObserver(false))
                                .equals(Optional.of(initial.get(0).withObserver(false)))) {
                    log.warn(
                            "this node's ZooKeeper keeps serving at {} as its ensemble recorded it, not at {} as "
                                    + "configured now (remove the member and join it again to move it)",
                            kept.server(myId).map(ZkPeer::serverLine).orElse("?"),
                            initial.get(0).serverLine());
                }
            }
            auth.configureServers();
            Properties properties = properties(dir, tickTime);
            auth.configureQuorum(properties);
            if (servers == initial || kept == null) {
                for (ZkPeer peer : servers) {
                    properties.setProperty(
                            "server." + peer.id(), auth.secure() ? peer.quorumAddresses() : peer.serverLine());
                }
            } else {
                properties.setProperty(
                        "dynamicConfigFile",
                        files.dynamicConfigFile().orElseThrow().toString());
            }
            if (auth.secure()) {
                ZkPeer self =
                        servers.stream().filter(p -> p.id() == myId).findFirst().orElseThrow();
                properties.setProperty("secureClientPort", Integer.toString(self.clientPort()));
                properties.setProperty("secureClientPortAddress", self.clientHost());
            }
            files.writeMyId(myId);
            files.writeStaticConfig(properties);
            config.parse(files.staticConfig().toString());
        } catch (IOException | QuorumPeerConfig.ConfigException | IllegalArgumentException e) {
            throw new PghaException(
                    "cannot configure the embedded ZooKeeper server " + myId + " in " + dir + ": " + e.getMessage());
        }
        Peer main = new Peer();
        Thread thread = new Thread(
                () -> {
                    try {
                        main.runFromConfig(config);
                    } catch (Exception e) {
                        log.error("ZooKeeper server {} stopped: {}", myId, e.toString());
                    }
                },
                "zookeeper-peer");
        thread.setDaemon(true);
        thread.start();
        String connect = servers.stream()
                .filter(p -> p.clientPort() > 0)
                .map(ZkPeer::clientAddress)
                .collect(Collectors.joining(","));
        ZkPeer self = servers.stream().filter(p -> p.id() == myId).findFirst().orElseThrow();
        log.info(
                "embedded ZooKeeper server {} starting as {} of {} (peer {}:{}, election port {}, clients {}{}, tick {} ms)",
                myId,
                self.observer() ? "an observer" : "a voter",
                servers.size() == 1 ? "a one-voter ensemble" : "an ensemble of " + servers.size(),
                self.host(),
                self.peerPort(),
                self.electionPort(),
                self.clientAddress(),
                auth.secure() ? " with TLS" : "",
                tickTime.toMillis());
        return new ZooKeeperPeer(main, thread, myId, servers.size(), connect);
    }

    /**
     * Sets up what ZooKeeper's server sets up once per JVM, and slowly, on the way to serving: the JDK's default TLS
     * context with its trust store (X509Util's class initialisation, which every server configuration runs, TLS or
     * not), the platform's MBean server (it registers its beans there) and the Kerberos names of its SASL
     * authentication (read on the first client's login). Together about 150-300 ms of a single thread (more without
     * a class-data archive). Called on another thread ahead of {@link #start}, it overlaps the daemon's own start-up
     * instead of lengthening it; once done, each later use costs nothing.
     */
    public static void warmUp() throws ClassNotFoundException {
        initialise(X509Util.class);
        ManagementFactory.getPlatformMBeanServer();
        initialise(KerberosName.class);
    }

    private static void initialise(Class<?> type) throws ClassNotFoundException {
        Class.forName(type.getName(), true, type.getClassLoader());
    }

    /**
     * A server of this node ran in {@code dir} (its id is recorded there), whether or not an ensemble still lists it: a
     * removed server's own copy of the configuration no longer does.
     */
    public static boolean ranIn(Path dir) {
        try {
            return new PeerFiles(dir).myId().isPresent();
        } catch (IOException e) {
            throw new PghaException("cannot read the embedded ZooKeeper's files in " + dir + ": " + e.getMessage());
        }
    }

    /**
     * The server id whose data {@code dir} holds, when ZooKeeper recorded an ensemble there that lists it: this node
     * is a member of that ensemble and starts as that server.
     */
    public static OptionalInt memberOf(Path dir) {
        PeerFiles files = new PeerFiles(dir);
        try {
            OptionalInt id = files.myId();
            Optional<StoreEnsemble> kept = files.dynamicConfig();
            if (id.isPresent()
                    && kept.isPresent()
                    && kept.get().server(id.getAsInt()).isPresent()) {
                return id;
            }
            return OptionalInt.empty();
        } catch (IOException e) {
            throw new PghaException("cannot read the embedded ZooKeeper's files in " + dir + ": " + e.getMessage());
        }
    }

    /** A one-voter ensemble whose only server is this node, configured now at other addresses. */
    private static boolean singleVoterMoved(StoreEnsemble kept, List<ZkPeer> initial, int myId) {
        boolean moved = kept.servers().size() == 1
                && initial.size() == 1
                && kept.servers().get(0).id() == myId
                && initial.get(0).id() == myId
                && !kept.servers().get(0).equals(initial.get(0));
        if (moved) {
            log.info(
                    "this node's ZooKeeper moves from {} to {} (it is the only server of its ensemble)",
                    kept.servers().get(0).clientAddress(),
                    initial.get(0).clientAddress());
        }
        return moved;
    }

    static Properties properties(Path dir, Duration tickTime) {
        long tick = tickTime.toMillis();
        Properties p = new Properties();
        p.setProperty("tickTime", Long.toString(tick));
        p.setProperty("initLimit", Long.toString(Math.max(5, INIT_LIMIT.toMillis() / tick)));
        p.setProperty("syncLimit", Long.toString(Math.max(2, SYNC_LIMIT.toMillis() / tick)));
        p.setProperty("maxSessionTimeout", Long.toString(MAX_SESSION.toMillis()));
        p.setProperty("dataDir", dir.toString());
        p.setProperty("maxClientCnxns", "200");
        p.setProperty("admin.enableServer", "false");
        // ZooKeeper's default metrics provider keeps 46 latency reservoirs of 4 096 samples (1.5 MB of heap, a tenth
        // of an idle member's live set) and updates them on every request; nothing reads them (pgha exports its own).
        p.setProperty("metricsProvider.className", NullMetricsProvider.class.getName());
        p.setProperty("reconfigEnabled", "true");
        p.setProperty("standaloneEnabled", "false");
        p.setProperty("autopurge.snapRetainCount", "3");
        p.setProperty("autopurge.purgeInterval", "1");
        return p;
    }

    /**
     * Waits up to {@code timeout} until this server serves clients (it has a leader, or leads). A client that
     * connects earlier is turned away and retries only after a pause of up to a second or two, so a one-voter
     * ensemble is waited for here: it serves within a few hundred milliseconds.
     */
    public boolean awaitServing(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!main.serving()) {
            if (System.nanoTime() > deadline || !thread.isAlive()) {
                return false;
            }
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        return true;
    }

    /** This server leads its ensemble now (it is the one every write goes through). */
    public boolean leads() {
        return main.leading();
    }

    /** How many servers the ensemble had as this one started. */
    public int servers() {
        return servers;
    }

    /** This node's server id. */
    public int id() {
        return myId;
    }

    /** The client addresses of the ensemble as this server started: clients fail over between them. */
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
        log.info("embedded ZooKeeper server {} stopped", myId);
    }
}
