package dev.pgha.app.daemon;

import dev.pgha.common.config.EnvOverrides;
import dev.pgha.common.config.PghaConfig;
import dev.pgha.common.config.ZkPeer;
import dev.pgha.common.net.Ports;
import dev.pgha.common.store.ClusterStore;
import dev.pgha.store.EnsembleJoin;
import dev.pgha.store.ZooKeeperAuth;
import dev.pgha.store.ZooKeeperPeer;
import dev.pgha.store.ZooKeeperStore;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where this node's cluster state lives: the embedded ZooKeeper it runs (standalone, or its peer of the ensemble), if
 * any, and its connection to the store.
 */
final class StoreConnection {
    private static final Logger log = LoggerFactory.getLogger(StoreConnection.class);

    /** How long a joining node's server may take to sync before the ensemble takes it in. */
    private static final Duration JOIN_WITHIN = Duration.ofSeconds(60);

    /** How long start-up waits for this node's server to serve before it connects anyway. */
    private static final Duration SERVING_WITHIN = Duration.ofSeconds(5);

    /**
     * Who opens the store: its member (or witness) id, whether it is a witness (it joins an ensemble as a voter or not
     * at all), and whether it is a fresh node (nothing of a previous run: see {@link RemovalWatch#freshNode}).
     */
    record Node(String id, boolean witness, boolean fresh) {}

    private volatile ZooKeeperPeer server; // the embedded ZooKeeper, if this node runs one (read by the keeper too)
    private ClusterStore store;

    /** Fails with a message naming the setting when a port the embedded ZooKeeper needs is taken. */
    static void requirePortsFree(PghaConfig config, Map<String, String> env) {
        if (config.store().quorum()) {
            ZkPeer self = config.store().self().orElseThrow();
            String label = EnvOverrides.label("store.ensemble") + " entry " + self.id();
            Ports.requireFree(null, self.clientPort(), label + " (client port)");
            Ports.requireFree(null, self.peerPort(), label + " (peer port)");
            Ports.requireFree(null, self.electionPort(), label + " (election port)");
        } else if (config.store().embedded()) {
            String host = config.embeddedStoreHost(env);
            Ports.requireFree(host, config.store().embeddedPort(), EnvOverrides.label("store.embedded.port"));
            Ports.requireFree(host, config.store().embeddedPeerPort(), EnvOverrides.label("store.embedded.peerPort"));
            Ports.requireFree(
                    host, config.store().embeddedElectionPort(), EnvOverrides.label("store.embedded.electionPort"));
        }
    }

    /**
     * Starts the embedded ZooKeeper this node runs (if any) and connects to the store. A peer of an embedded ensemble
     * keeps waiting (and says so) until a majority of peers runs: nodes of a new cluster are often started one after
     * another. Returns null when {@code abandon} said stop meanwhile.
     */
    ClusterStore open(
            PghaConfig config, ZooKeeperAuth auth, Map<String, String> env, Node node, BooleanSupplier abandon) {
        String connect = config.store().connect().orElse(null);
        String storeName = "ZooKeeper at " + connect + " (" + EnvOverrides.label("store.connect") + ")";
        if (config.store().quorum()) {
            server = ZooKeeperPeer.start(
                    config.zookeeperDir(),
                    config.store().ensemble(),
                    config.store().myId(),
                    config.store().embeddedTickTime(),
                    auth);
            storeName = "the embedded ZooKeeper ensemble " + server.connectString()
                    + " (it needs a majority of its peers running)";
        } else if (config.store().embedded()) {
            server = startEmbedded(config, auth, env, node, abandon);
            if (server == null) {
                return null;
            }
            server.awaitServing(SERVING_WITHIN); // a lone voter serves at once; in an ensemble, the majority decides
            storeName = "the embedded ZooKeeper at " + server.connectString();
        }
        if (abandon.getAsBoolean()) {
            return null; // stopped during start-up: stop what was started
        }
        if (server != null) {
            connect = server.connectString();
        }
        int peers = server == null ? 0 : server.servers();
        Runnable stillWaiting = peers <= 1
                ? null
                : () -> log.warn(
                        "waiting for a majority of the ZooKeeper ensemble ({} servers) to run; start the other nodes",
                        peers);
        store = ZooKeeperStore.connect(
                connect,
                config.clusterName(),
                auth,
                config.store().sessionTimeout(),
                config.store().connectTimeout(),
                storeName,
                abandon,
                stillWaiting);
        return store;
    }

    /**
     * This node's server of a growing ensemble: the one its data directory belongs to, else a new member through
     * PGHA_JOIN, else a new one-voter ensemble (which also takes over the data of a standalone server of an older
     * pgha: the files are the same).
     */
    private static ZooKeeperPeer startEmbedded(
            PghaConfig config, ZooKeeperAuth auth, Map<String, String> env, Node node, BooleanSupplier abandon) {
        Path dir = config.zookeeperDir();
        Duration tick = config.store().embeddedTickTime();
        OptionalInt member = ZooKeeperPeer.memberOf(dir);
        if (member.isPresent()) {
            return ZooKeeperPeer.start(
                    dir, List.of(config.embeddedStoreServer(member.getAsInt(), env)), member.getAsInt(), tick, auth);
        }
        if (config.store().join().isEmpty()) {
            return ZooKeeperPeer.start(dir, List.of(config.embeddedStoreServer(1, env)), 1, tick, auth);
        }
        String join = joinAddress(config);
        try (ZooKeeperStore via = ZooKeeperStore.connect(
                join,
                config.clusterName(),
                auth,
                config.store().sessionTimeout(),
                config.store().connectTimeout(),
                "the member's ZooKeeper at " + join + " (" + EnvOverrides.label("store.join") + ")",
                abandon,
                null)) {
            if (via == null) {
                return null;
            }
            RemovalWatch.refuseIfRemoved(via, node.id(), node.fresh()); // before it takes a place in the ensemble
            return EnsembleJoin.join(
                    via,
                    join,
                    dir,
                    config.embeddedStoreServer(0, env),
                    config.store().voters(),
                    node.witness(),
                    tick,
                    auth,
                    JOIN_WITHIN,
                    abandon);
        }
    }

    /** PGHA_JOIN with the client port it implies (this node's store.embedded.port) when none is given. */
    static String joinAddress(PghaConfig config) {
        String join = config.store().join().orElseThrow();
        boolean hasPort = join.startsWith("[") ? join.contains("]:") : join.contains(":");
        return hasPort ? join : join + ":" + config.store().embeddedPort();
    }

    /** This node's server id in its embedded ensemble; 0 without one. */
    int serverId() {
        return server == null ? 0 : server.id();
    }

    /** This node's embedded ZooKeeper leads its ensemble now; false without one. */
    boolean leadsEnsemble() {
        ZooKeeperPeer s = server;
        return s != null && s.leads();
    }

    /** Something was started (the daemon has something to stop). */
    boolean started() {
        return server != null || store != null;
    }

    /** Disconnects, then stops the embedded ZooKeeper. */
    void close() {
        Supervisor.close(store);
        Supervisor.close(server);
    }
}
