package dev.pgha.common.store;

import com.fasterxml.jackson.databind.JavaType;
import dev.pgha.common.PghaException;
import dev.pgha.common.config.Durations;
import dev.pgha.common.model.ClusterSpec;
import dev.pgha.common.model.ClusterView;
import dev.pgha.common.model.HistoryEntry;
import dev.pgha.common.model.Json;
import dev.pgha.common.model.KeeperStatus;
import dev.pgha.common.model.MemberInfo;
import dev.pgha.common.model.OperatorRequest;
import dev.pgha.common.model.ProxyStatus;
import java.io.Closeable;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.framework.recipes.cache.CuratorCache;
import org.apache.curator.framework.recipes.cache.CuratorCacheListener;
import org.apache.curator.framework.recipes.nodes.PersistentNode;
import org.apache.curator.retry.ExponentialBackoffRetry;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.data.Stat;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Typed access to one cluster's state in ZooKeeper (layout: {@link StorePaths}). Every failure to reach the store
 * surfaces as a {@link StoreException}; callers that run in loops log it and retry on their next tick.
 */
public final class ClusterStore implements Closeable {
    private static final Logger log = LoggerFactory.getLogger(ClusterStore.class);
    private static final JavaType HISTORY_TYPE =
            Json.mapper().getTypeFactory().constructCollectionType(List.class, HistoryEntry.class);
    private static final JavaType PARAMETERS_TYPE =
            Json.mapper().getTypeFactory().constructMapType(TreeMap.class, String.class, String.class);

    private final CuratorFramework client;
    private final StorePaths paths;

    public ClusterStore(CuratorFramework client, String cluster) {
        this.client = client;
        this.paths = new StorePaths(cluster);
    }

    /**
     * Connects to ZooKeeper and waits for the first connection.
     *
     * @param what how to name the store in an error, e.g. "ZooKeeper at zk1:2181 (PGHA_ZK_CONNECT)"
     */
    public static ClusterStore connect(
            String connectString, String cluster, Duration sessionTimeout, Duration connectTimeout, String what) {
        return connect(connectString, cluster, sessionTimeout, connectTimeout, what, () -> false, null);
    }

    /**
     * Connects, waiting for the first connection in short steps.
     *
     * @param abandon      polled while waiting: true gives up and returns null (the daemon is stopping)
     * @param stillWaiting null: fail after {@code connectTimeout}; else called every {@code connectTimeout} and
     *                     the wait goes on
     */
    public static ClusterStore connect(
            String connectString,
            String cluster,
            Duration sessionTimeout,
            Duration connectTimeout,
            String what,
            BooleanSupplier abandon,
            Runnable stillWaiting) {
        int sessionMs = (int) sessionTimeout.toMillis();
        CuratorFramework client = CuratorFrameworkFactory.builder()
                .connectString(connectString)
                .sessionTimeoutMs(sessionMs)
                // An operation waits at most one session timeout for a connection; loops retry on their next tick.
                .connectionTimeoutMs(sessionMs)
                .retryPolicy(new ExponentialBackoffRetry(100, 3, 1000))
                .build();
        client.start();
        long stepMs = 250;
        long waited = 0;
        try {
            while (!client.blockUntilConnected((int) stepMs, TimeUnit.MILLISECONDS)) {
                waited += stepMs;
                if (abandon.getAsBoolean()) {
                    client.close();
                    return null;
                }
                if (waited >= connectTimeout.toMillis()) {
                    if (stillWaiting == null) {
                        client.close();
                        throw new PghaException("cannot reach " + what + " within " + Durations.format(connectTimeout)
                                + ": check that it runs and the address is right");
                    }
                    stillWaiting.run();
                    waited = 0;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            client.close();
            throw new PghaException("interrupted while connecting to " + what);
        }
        return new ClusterStore(client, cluster);
    }

    public CuratorFramework curator() {
        return client;
    }

    public StorePaths paths() {
        return paths;
    }

    // ---- view -----------------------------------------------------------------------------------------------

    public Optional<Versioned<ClusterView>> view() {
        return readVersioned(paths.view(), ClusterView.class);
    }

    /**
     * Writes {@code next} if the view is still at {@code expectedVersion} (empty: only if no view exists yet).
     *
     * @return false when someone else changed the view first
     */
    public boolean compareAndSetView(ClusterView next, Optional<Integer> expectedVersion) {
        return compareAndSet(paths.view(), Json.write(next), expectedVersion);
    }

    // ---- spec -----------------------------------------------------------------------------------------------

    public Optional<Versioned<ClusterSpec>> spec() {
        return readVersioned(paths.spec(), ClusterSpec.class);
    }

    public boolean compareAndSetSpec(ClusterSpec next, Optional<Integer> expectedVersion) {
        return compareAndSet(paths.spec(), Json.write(next), expectedVersion);
    }

    // ---- members, keepers, proxies --------------------------------------------------------------------------

    public void register(MemberInfo member) {
        String path = paths.member(member.id());
        byte[] data = Json.write(member);
        try {
            client.create().orSetData().creatingParentContainersIfNeeded().forPath(path, data);
        } catch (Exception e) {
            throw new StoreException("cannot register member " + member.id(), e);
        }
    }

    public Map<String, MemberInfo> members() {
        return children(paths.members(), MemberInfo.class);
    }

    public Optional<MemberInfo> member(String id) {
        return readVersioned(paths.member(id), MemberInfo.class).map(Versioned::value);
    }

    public Map<String, KeeperStatus> keepers() {
        return children(paths.keepers(), KeeperStatus.class);
    }

    public Optional<KeeperStatus> keeper(String id) {
        return readVersioned(paths.keeper(id), KeeperStatus.class).map(Versioned::value);
    }

    public Map<String, ProxyStatus> proxies() {
        return children(paths.proxies(), ProxyStatus.class);
    }

    /**
     * An ephemeral node that Curator keeps present through reconnects and session changes, e.g. a keeper's
     * status. Update it with {@link PersistentNode#setData(byte[])}; close it to remove it.
     */
    public PersistentNode ephemeral(String path, byte[] initialData) {
        PersistentNode node = new PersistentNode(client, CreateMode.EPHEMERAL, false, path, initialData);
        node.start();
        return node;
    }

    /** Removes {@code path} if it exists (e.g. an ephemeral node this member's previous run left behind). */
    public void deleteIfExists(String path) {
        try {
            client.delete().quietly().forPath(path);
        } catch (Exception e) {
            throw new StoreException("cannot delete " + path, e);
        }
    }

    // ---- operator requests, parameters, restarts, witnesses ---------------------------------------------------

    public Optional<Versioned<OperatorRequest>> request() {
        return readVersioned(paths.request(), OperatorRequest.class);
    }

    /** Creates the request; false when another one is already there. */
    public boolean createRequest(OperatorRequest request) {
        try {
            client.create().creatingParentContainersIfNeeded().forPath(paths.request(), Json.write(request));
            return true;
        } catch (KeeperException.NodeExistsException e) {
            return false;
        } catch (Exception e) {
            throw new StoreException("cannot write the request", e);
        }
    }

    public boolean compareAndSetRequest(OperatorRequest next, int expectedVersion) {
        return compareAndSet(paths.request(), Json.write(next), Optional.of(expectedVersion));
    }

    /** Removes the request if it is still at {@code expectedVersion}. */
    public void deleteRequest(int expectedVersion) {
        try {
            client.delete().withVersion(expectedVersion).forPath(paths.request());
        } catch (KeeperException.NoNodeException | KeeperException.BadVersionException e) {
            // gone already, or changed: the next evaluation looks again
        } catch (Exception e) {
            throw new StoreException("cannot remove the request", e);
        }
    }

    /** postgres parameters set through `pgha config set` (name to value), empty when none. */
    public Map<String, String> parameters() {
        Optional<Versioned<Map<String, String>>> stored = readVersioned(paths.parameters(), PARAMETERS_TYPE);
        return stored.map(Versioned::value).orElse(Map.of());
    }

    public void setParameters(Map<String, String> parameters) {
        try {
            client.create()
                    .orSetData()
                    .creatingParentContainersIfNeeded()
                    .forPath(paths.parameters(), Json.write(new java.util.TreeMap<>(parameters)));
        } catch (Exception e) {
            throw new StoreException("cannot write the postgres parameters", e);
        }
    }

    public void requestRestart(String memberId) {
        try {
            client.create()
                    .orSetData()
                    .creatingParentContainersIfNeeded()
                    .forPath(paths.restart(memberId), Json.write(java.time.Instant.now()));
        } catch (Exception e) {
            throw new StoreException("cannot request a restart of " + memberId, e);
        }
    }

    public boolean restartRequested(String memberId) {
        try {
            return client.checkExists().forPath(paths.restart(memberId)) != null;
        } catch (Exception e) {
            throw new StoreException("cannot read the restart requests", e);
        }
    }

    public Map<String, Instant> witnesses() {
        return children(paths.witnesses(), Instant.class);
    }

    // ---- history --------------------------------------------------------------------------------------------

    public List<HistoryEntry> history() {
        Optional<Versioned<List<HistoryEntry>>> history = readVersioned(paths.history(), HISTORY_TYPE);
        return history.map(Versioned::value).orElse(List.of());
    }

    /** Appends a leader change, keeping the newest {@code limit} entries. */
    public void appendHistory(HistoryEntry entry, int limit) {
        for (int attempt = 0; attempt < 10; attempt++) {
            Optional<Versioned<List<HistoryEntry>>> current = readVersioned(paths.history(), HISTORY_TYPE);
            List<HistoryEntry> entries =
                    new ArrayList<>(current.map(Versioned::value).orElse(List.of()));
            entries.add(entry);
            if (entries.size() > limit) {
                entries = new ArrayList<>(entries.subList(entries.size() - limit, entries.size()));
            }
            if (compareAndSet(paths.history(), Json.write(entries), current.map(Versioned::version))) {
                return;
            }
        }
        log.warn("history entry for generation {} not recorded: the history node kept changing", entry.generation());
    }

    // ---- watching -------------------------------------------------------------------------------------------

    /** Calls {@code onChange} (on Curator's event thread) whenever anything at or under {@code path} changes. */
    public Closeable watch(String path, Runnable onChange) {
        CuratorCache cache = CuratorCache.build(client, path);
        cache.listenable()
                .addListener(CuratorCacheListener.builder()
                        .forAll((type, oldData, data) -> onChange.run())
                        .forInitialized(onChange)
                        .build());
        cache.start();
        return cache::close;
    }

    @Override
    public void close() {
        client.close();
    }

    // ---- plumbing -------------------------------------------------------------------------------------------

    private <T> Optional<Versioned<T>> readVersioned(String path, Class<T> type) {
        return readVersioned(path, Json.mapper().getTypeFactory().constructType(type));
    }

    private <T> Optional<Versioned<T>> readVersioned(String path, JavaType type) {
        Stat stat = new Stat();
        Optional<byte[]> data = readRaw(path, stat);
        try {
            return data.map(bytes -> new Versioned<>(Json.<T>read(bytes, type), stat.getVersion()));
        } catch (UncheckedIOException e) {
            throw new StoreException("cannot parse " + path, e.getCause());
        }
    }

    private Optional<byte[]> readRaw(String path, Stat stat) {
        try {
            return Optional.of(client.getData().storingStatIn(stat).forPath(path));
        } catch (KeeperException.NoNodeException e) {
            return Optional.empty();
        } catch (Exception e) {
            throw new StoreException("cannot read " + path, e);
        }
    }

    private boolean compareAndSet(String path, byte[] data, Optional<Integer> expectedVersion) {
        try {
            if (expectedVersion.isEmpty()) {
                client.create().creatingParentContainersIfNeeded().forPath(path, data);
            } else {
                client.setData().withVersion(expectedVersion.get()).forPath(path, data);
            }
            return true;
        } catch (KeeperException.NodeExistsException
                | KeeperException.BadVersionException
                | KeeperException.NoNodeException e) {
            return false;
        } catch (Exception e) {
            throw new StoreException("cannot write " + path, e);
        }
    }

    private <T> Map<String, T> children(String parent, Class<T> type) {
        List<String> names;
        try {
            names = client.getChildren().forPath(parent);
        } catch (KeeperException.NoNodeException e) {
            return Map.of();
        } catch (Exception e) {
            throw new StoreException("cannot list " + parent, e);
        }
        Map<String, T> result = new TreeMap<>();
        for (String name : names) {
            Optional<byte[]> data = readRaw(parent + "/" + name, new Stat());
            if (data.isEmpty()) {
                continue; // vanished between listing and reading
            }
            try {
                result.put(name, Json.read(data.get(), type));
            } catch (UncheckedIOException e) {
                log.warn(
                        "ignoring unreadable {}/{}: {}",
                        parent,
                        name,
                        e.getCause().getMessage());
            }
        }
        return result;
    }
}
