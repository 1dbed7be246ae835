package dev.pgha.store;

import dev.pgha.common.concurrent.Closeables;
import dev.pgha.common.model.Json;
import dev.pgha.common.store.Published;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.recipes.nodes.PersistentNode;
import org.apache.zookeeper.CreateMode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An ephemeral node that Curator keeps present through reconnects and new sessions (a {@link PersistentNode}). A
 * value published before the node's first create has completed is kept and written once it has: PersistentNode
 * refuses new data until then, and a proxy publishes its acknowledgement only once per generation (one lost that way
 * left a failover waiting for that proxy for good: the chaos suite's restart-all, a view change 150 ms after start).
 */
final class EphemeralValue<T> implements Published<T> {
    private static final Logger log = LoggerFactory.getLogger(EphemeralValue.class);

    private final CuratorFramework client;
    private final String path;
    private PersistentNode node;
    private byte[] pending; // published before the first create completed; written when it has
    private boolean closed;

    EphemeralValue(CuratorFramework client, String path) {
        this.client = client;
        this.path = path;
    }

    @Override
    public synchronized void publish(T value) {
        if (closed) {
            return;
        }
        byte[] json = Json.write(value);
        try {
            if (node == null) {
                node = new PersistentNode(client, CreateMode.EPHEMERAL, false, path, json);
                // called on the event thread once the node exists (its path is set first), on every re-creation too
                node.getListenable().addListener(created -> writePending());
                node.start();
            } else if (node.getActualPath() == null) {
                pending = json;
            } else {
                pending = null;
                node.setData(json);
            }
        } catch (Exception e) {
            log.warn("cannot publish {}: {}", path, e.toString());
        }
    }

    private synchronized void writePending() {
        if (pending == null || closed) {
            return;
        }
        byte[] json = pending;
        pending = null;
        try {
            node.setData(json);
        } catch (Exception e) {
            log.warn("cannot publish {}: {}", path, e.toString());
        }
    }

    @Override
    public synchronized void close() {
        closed = true;
        Closeables.closeQuietly(node);
    }
}
