package dev.pgha.store;

import dev.pgha.common.model.Json;
import dev.pgha.common.store.StoreException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.apache.curator.framework.CuratorFramework;
import org.apache.zookeeper.KeeperException;

/**
 * What `pgha member remove` reads and leaves in the store: the witnesses' servers ({@code witness-servers/<id>}, a
 * witness has no member registration to hold it), the members removed for good ({@code removed/<id>}) and the
 * embedded ensemble's server ids that left ({@code retired-servers/<n>}), never given to a new server.
 */
final class Removals {
    private final CuratorFramework client;
    private final StorePaths paths;

    Removals(CuratorFramework client, StorePaths paths) {
        this.client = client;
        this.paths = paths;
    }

    void markRemoved(String id) {
        try {
            client.create()
                    .orSetData()
                    .creatingParentContainersIfNeeded()
                    .forPath(paths.removed(id), Json.write(Instant.now()));
        } catch (Exception e) {
            throw new StoreException("cannot record the removal of " + id, e);
        }
    }

    Set<String> removed() {
        try {
            return Set.copyOf(client.getChildren().forPath(paths.removed()));
        } catch (KeeperException.NoNodeException e) {
            return Set.of();
        } catch (Exception e) {
            throw new StoreException("cannot read the removed members", e);
        }
    }

    void registerWitness(String id, int server) {
        try {
            client.create()
                    .orSetData()
                    .creatingParentContainersIfNeeded()
                    .forPath(paths.witnessServer(id), Json.write(server));
        } catch (Exception e) {
            throw new StoreException("cannot register witness " + id, e);
        }
    }

    /** Witness id to its server id; a child that does not hold a server id is left out. */
    Map<String, Integer> witnesses() {
        Map<String, Integer> out = new TreeMap<>();
        try {
            for (String id : client.getChildren().forPath(paths.witnessServers())) {
                try {
                    String text = new String(client.getData().forPath(paths.witnessServer(id)), StandardCharsets.UTF_8)
                            .strip();
                    if (text.matches("\\d{1,9}")) {
                        out.put(id, Integer.valueOf(text));
                    }
                } catch (KeeperException.NoNodeException gone) {
                    // removed meanwhile
                }
            }
            return out;
        } catch (KeeperException.NoNodeException e) {
            return Map.of();
        } catch (Exception e) {
            throw new StoreException("cannot read the witnesses", e);
        }
    }

    void retire(int id) {
        try {
            client.create().orSetData().creatingParentContainersIfNeeded().forPath(paths.retiredServers() + "/" + id);
        } catch (Exception e) {
            throw new StoreException("cannot record that server " + id + " left the store", e);
        }
    }

    Set<Integer> retired() {
        try {
            return client.getChildren().forPath(paths.retiredServers()).stream()
                    .filter(n -> n.matches("\\d{1,9}"))
                    .map(Integer::valueOf)
                    .collect(Collectors.toUnmodifiableSet());
        } catch (KeeperException.NoNodeException e) {
            return Set.of();
        } catch (Exception e) {
            throw new StoreException("cannot read the servers that left the store", e);
        }
    }
}
