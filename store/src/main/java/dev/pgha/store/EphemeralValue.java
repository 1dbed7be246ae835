package dev.pgha.store;

import dev.pgha.common.concurrent.Closeables;
import dev.pgha.common.model.Json;
import dev.pgha.common.store.Published;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.recipes.nodes.PersistentNode;
import org.apache.zookeeper.CreateMode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** An ephemeral node that Curator keeps present through reconnects and new sessions (a {@link PersistentNode}). */
final class EphemeralValue<T> implements Published<T> {
    private static final Logger log = LoggerFactory.getLogger(EphemeralValue.class);

    private final CuratorFramework client;
    private final String path;
    private PersistentNode node;
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
                node.start();
            } else {
                node.setData(json);
            }
        } catch (Exception e) {
            log.debug("publishing {} failed: {}", path, e.toString());
        }
    }

    @Override
    public synchronized void close() {
        closed = true;
        Closeables.closeQuietly(node);
    }
}
