package dev.pgha.app.daemon;

import dev.pgha.common.PghaException;
import dev.pgha.common.config.EnvOverrides;
import dev.pgha.common.config.PghaConfig;
import dev.pgha.common.config.ZkPeer;
import dev.pgha.common.net.Ports;
import dev.pgha.common.store.ClusterStore;
import dev.pgha.store.EmbeddedZooKeeper;
import dev.pgha.store.ZooKeeperAuth;
import dev.pgha.store.ZooKeeperPeer;
import dev.pgha.store.ZooKeeperStore;
import java.io.IOException;
import java.net.BindException;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where this node's cluster state lives: the embedded ZooKeeper it runs (standalone, or its peer of the ensemble), if
 * any, and its connection to the store.
 */
final class StoreConnection {
    private static final Logger log = LoggerFactory.getLogger(StoreConnection.class);

    private AutoCloseable server; // the embedded ZooKeeper, if this node runs one
    private ClusterStore store;

    /** Fails with a message naming the setting when a port the embedded ZooKeeper needs is taken. */
    static void requirePortsFree(PghaConfig config) {
        if (config.store().quorum()) {
            ZkPeer self = config.store().self().orElseThrow();
            String label = EnvOverrides.label("store.ensemble") + " entry " + self.id();
            Ports.requireFree(null, self.clientPort(), label + " (client port)");
            Ports.requireFree(null, self.peerPort(), label + " (peer port)");
            Ports.requireFree(null, self.electionPort(), label + " (election port)");
        } else if (config.store().embedded()) {
            Ports.requireFree(
                    config.store().embeddedHost(),
                    config.store().embeddedPort(),
                    EnvOverrides.label("store.embedded.port"));
        }
    }

    /**
     * Starts the embedded ZooKeeper this node runs (if any) and connects to the store. A peer of an embedded ensemble
     * keeps waiting (and says so) until a majority of peers runs: nodes of a new cluster are often started one after
     * another. Returns null when {@code abandon} said stop meanwhile.
     */
    ClusterStore open(PghaConfig config, ZooKeeperAuth auth, BooleanSupplier abandon) {
        String connect = config.store().connect().orElse(null);
        String storeName = "ZooKeeper at " + connect + " (" + EnvOverrides.label("store.connect") + ")";
        if (config.store().quorum()) {
            ZooKeeperPeer peer = ZooKeeperPeer.start(
                    config.zookeeperDir(),
                    config.store().ensemble(),
                    config.store().myId(),
                    config.store().embeddedTickTime(),
                    auth);
            server = peer;
            connect = peer.connectString();
            storeName = "the embedded ZooKeeper ensemble " + connect + " (it needs a majority of its peers running)";
        } else if (config.store().embedded()) {
            EmbeddedZooKeeper standalone = startStandalone(config, auth);
            server = standalone;
            connect = standalone.connectString();
            storeName = "the embedded ZooKeeper at " + connect;
        }
        if (abandon.getAsBoolean()) {
            return null; // stopped during start-up: stop what was started
        }
        Runnable stillWaiting = !config.store().quorum()
                ? null
                : () -> log.warn(
                        "waiting for a majority of the ZooKeeper ensemble ({} peers) to run; start the other nodes "
                                + "with the same {}",
                        config.store().ensemble().size(),
                        EnvOverrides.label("store.ensemble"));
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

    private static EmbeddedZooKeeper startStandalone(PghaConfig config, ZooKeeperAuth auth) {
        try {
            return EmbeddedZooKeeper.start(
                    config.zookeeperDir(),
                    config.store().embeddedHost(),
                    config.store().embeddedPort(),
                    config.store().embeddedTickTime(),
                    auth);
        } catch (BindException e) {
            throw Ports.inUse(config.store().embeddedPort(), EnvOverrides.label("store.embedded.port"));
        } catch (IOException e) {
            throw new PghaException(
                    "cannot start the embedded ZooKeeper in " + config.zookeeperDir() + ": " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new PghaException("interrupted while starting the embedded ZooKeeper");
        }
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
