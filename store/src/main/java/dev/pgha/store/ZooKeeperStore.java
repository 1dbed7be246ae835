package dev.pgha.store;

import com.fasterxml.jackson.databind.JavaType;
import dev.pgha.common.backup.BackupJob;
import dev.pgha.common.config.ZkPeer;
import dev.pgha.common.model.ClusterSpec;
import dev.pgha.common.model.ClusterView;
import dev.pgha.common.model.HistoryEntry;
import dev.pgha.common.model.Json;
import dev.pgha.common.model.KeeperStatus;
import dev.pgha.common.model.MemberInfo;
import dev.pgha.common.model.OperatorRequest;
import dev.pgha.common.model.ProxyStatus;
import dev.pgha.common.store.ClusterSnapshot;
import dev.pgha.common.store.ClusterStore;
import dev.pgha.common.store.Election;
import dev.pgha.common.store.Published;
import dev.pgha.common.store.SessionEvent;
import dev.pgha.common.store.SessionLease;
import dev.pgha.common.store.StoreEnsemble;
import dev.pgha.common.store.StoreException;
import dev.pgha.common.store.Subscription;
import dev.pgha.common.store.Topic;
import dev.pgha.common.store.Versioned;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.state.ConnectionStateListener;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.data.Stat;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The cluster store on ZooKeeper, through Curator: the layout is {@link StorePaths}, values are JSON ({@link Json}).
 * Each JVM has one of these per cluster, so each path is watched once however many components listen.
 */
public final class ZooKeeperStore implements ClusterStore {
    private final AtomicBoolean closed = new AtomicBoolean();
    private static final Logger log = LoggerFactory.getLogger(ZooKeeperStore.class);
    private static final JavaType HISTORY_TYPE =
            Json.mapper().getTypeFactory().constructCollectionType(List.class, HistoryEntry.class);

    private final CuratorFramework client;
    private final StorePaths paths;
    private final Duration sessionTimeout;
    private final SnapshotReader reader;
    private final TopicWatches watches;
    private final Removals removals;
    private final List<EphemeralValue<?>> published = new CopyOnWriteArrayList<>();
    private final SessionClock sessionClock;

    private ZooKeeperStore(CuratorFramework client, String cluster, Duration sessionTimeout) {
        this.client = client;
        this.paths = new StorePaths(cluster);
        this.sessionTimeout = sessionTimeout;
        this.reader = new SnapshotReader(client, paths);
        this.watches = new TopicWatches(client, paths);
        this.removals = new Removals(client, paths);
        this.sessionClock = new SessionClock(client, paths.view(), sessionTimeout);
    }

    /**
     * Connects to ZooKeeper and waits for the first connection.
     *
     * @param what how to name the store in an error, e.g. "ZooKeeper at zk1:2181 (PGHA_ZK_CONNECT)"
     */
    public static ZooKeeperStore connect(
            String connectString,
            String cluster,
            ZooKeeperAuth auth,
            Duration sessionTimeout,
            Duration connectTimeout,
            String what) {
        return connect(connectString, cluster, auth, sessionTimeout, connectTimeout, what, () -> false, null);
    }

    /**
     * Connects, waiting for the first connection in short steps.
     *
     * @param abandon      polled while waiting: true gives up and returns null (the daemon is stopping)
     * @param stillWaiting null: fail after {@code connectTimeout}; else called every {@code connectTimeout} and
     *                     the wait goes on
     */
    public static ZooKeeperStore connect(
            String connectString,
            String cluster,
            ZooKeeperAuth auth,
            Duration sessionTimeout,
            Duration connectTimeout,
            String what,
            BooleanSupplier abandon,
            Runnable stillWaiting) {
        CuratorFramework client = StoreConnection.open(
                connectString,
                new StorePaths(cluster),
                auth,
                sessionTimeout,
                connectTimeout,
                what,
                abandon,
                stillWaiting);
        return client == null ? null : new ZooKeeperStore(client, cluster, sessionTimeout);
    }

    // ---- reading ----------------------------------------------------------------------------------------------

    @Override
    public ClusterSnapshot snapshot() {
        return reader.read(() -> session(client));
    }

    @Override
    public Optional<Versioned<ClusterView>> view() {
        return reader.readVersioned(paths.view(), Json.mapper().constructType(ClusterView.class));
    }

    @Override
    public List<HistoryEntry> history() {
        Optional<Versioned<List<HistoryEntry>>> history = reader.readVersioned(paths.history(), HISTORY_TYPE);
        return history.map(Versioned::value).orElse(List.of());
    }

    @Override
    public Optional<Versioned<BackupJob>> backupJob() {
        return reader.readVersioned(paths.backup(), Json.mapper().constructType(BackupJob.class));
    }

    @Override
    public boolean compareAndSetBackupJob(BackupJob next, Optional<Integer> expectedVersion) {
        return compareAndSet(paths.backup(), Json.write(next), expectedVersion);
    }

    /** The Curator client, for this module's tests (a session's expiry, a read of one's own). */
    CuratorFramework client() {
        return client;
    }

    /** The session the client has now (0 when it has none). */
    static long session(CuratorFramework client) {
        try {
            var zk = client.getZookeeperClient().getZooKeeper();
            return zk.getState().isConnected() ? zk.getSessionId() : 0;
        } catch (Exception e) {
            return 0;
        }
    }

    // ---- writing ----------------------------------------------------------------------------------------------

    @Override
    public boolean compareAndSetView(ClusterView next, Optional<Integer> expectedVersion) {
        return compareAndSet(paths.view(), Json.write(next), expectedVersion);
    }

    @Override
    public boolean compareAndSetSpec(ClusterSpec next, Optional<Integer> expectedVersion) {
        return compareAndSet(paths.spec(), Json.write(next), expectedVersion);
    }

    @Override
    public void appendHistory(HistoryEntry entry, int limit) {
        for (int attempt = 0; attempt < 10; attempt++) {
            Optional<Versioned<List<HistoryEntry>>> current = reader.readVersioned(paths.history(), HISTORY_TYPE);
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

    @Override
    public boolean compareAndSetRequest(OperatorRequest next, int expectedVersion) {
        return compareAndSet(paths.request(), Json.write(next), Optional.of(expectedVersion));
    }

    @Override
    public void deleteRequest(int expectedVersion) {
        try {
            client.delete().withVersion(expectedVersion).forPath(paths.request());
        } catch (KeeperException.NoNodeException | KeeperException.BadVersionException e) {
            // gone already, or changed: the next evaluation looks again
        } catch (Exception e) {
            throw new StoreException("cannot remove the request", e);
        }
    }

    @Override
    public void removeMember(String id) {
        deleteIfExists(paths.member(id));
    }

    @Override
    public void markRemoved(String id) {
        removals.markRemoved(id);
    }

    @Override
    public Set<String> removed() {
        return removals.removed();
    }

    @Override
    public void clearRemoved(String id) {
        deleteIfExists(paths.removed(id));
    }

    @Override
    public void retireStoreServer(int id) {
        removals.retire(id);
    }

    @Override
    public Set<Integer> retiredStoreServers() {
        return removals.retired();
    }

    @Override
    public void registerWitness(String id, int storeServer) {
        removals.registerWitness(id, storeServer);
    }

    @Override
    public Map<String, Integer> registeredWitnesses() {
        return removals.witnesses();
    }

    @Override
    public void removeWitness(String id) {
        deleteIfExists(paths.witnessServer(id));
    }

    @Override
    public Optional<StoreEnsemble> ensemble() {
        return EnsembleChanges.read(client);
    }

    @Override
    public StoreEnsemble changeEnsemble(List<ZkPeer> joining, List<Integer> leaving, long fromVersion) {
        return EnsembleChanges.change(client, joining, leaving, fromVersion);
    }

    @Override
    public void register(MemberInfo member) {
        try {
            client.create()
                    .orSetData()
                    .creatingParentContainersIfNeeded()
                    .forPath(paths.member(member.id()), Json.write(member));
        } catch (Exception e) {
            throw new StoreException("cannot register member " + member.id(), e);
        }
    }

    @Override
    public Published<KeeperStatus> keeperStatus(String memberId) {
        return ephemeral(paths.keeper(memberId));
    }

    @Override
    public Published<ProxyStatus> proxyStatus(String memberId) {
        return ephemeral(paths.proxy(memberId));
    }

    @Override
    public Published<Instant> witness(String memberId) {
        return ephemeral(paths.witness(memberId));
    }

    private <T> Published<T> ephemeral(String path) {
        deleteIfExists(path); // left by this member's previous run: it would look alive until that session expires
        EphemeralValue<T> value = new EphemeralValue<>(client, path);
        published.add(value);
        return value;
    }

    @Override
    public void clearRestart(String memberId) {
        deleteIfExists(paths.restart(memberId));
    }

    @Override
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

    @Override
    public void setParameters(Map<String, String> parameters) {
        try {
            client.create()
                    .orSetData()
                    .creatingParentContainersIfNeeded()
                    .forPath(paths.parameters(), Json.write(new TreeMap<>(parameters)));
        } catch (Exception e) {
            throw new StoreException("cannot write the postgres parameters", e);
        }
    }

    @Override
    public void requestRestart(String memberId) {
        try {
            client.create()
                    .orSetData()
                    .creatingParentContainersIfNeeded()
                    .forPath(paths.restart(memberId), Json.write(Instant.now()));
        } catch (Exception e) {
            throw new StoreException("cannot request a restart of " + memberId, e);
        }
    }

    @Override
    public void requestReinit(String memberId) {
        try {
            client.create()
                    .orSetData()
                    .creatingParentContainersIfNeeded()
                    .forPath(paths.reinit(memberId), Json.write(Instant.now()));
        } catch (Exception e) {
            throw new StoreException("cannot request a re-clone of " + memberId, e);
        }
    }

    @Override
    public void clearReinit(String memberId) {
        deleteIfExists(paths.reinit(memberId));
    }

    // ---- events -----------------------------------------------------------------------------------------------

    @Override
    public Subscription onChange(Set<Topic> topics, Runnable listener) {
        return watches.subscribe(topics, listener);
    }

    @Override
    public Subscription onSession(Consumer<SessionEvent> listener) {
        ConnectionStateListener l = (c, state) -> {
            switch (state) {
                case SUSPENDED -> listener.accept(SessionEvent.SUSPENDED);
                case LOST -> listener.accept(SessionEvent.LOST);
                case RECONNECTED -> listener.accept(SessionEvent.RECONNECTED);
                default -> {
                    // CONNECTED happens once, before anyone listens; READ_ONLY is not enabled
                }
            }
        };
        client.getConnectionStateListenable().addListener(l);
        return () -> client.getConnectionStateListenable().removeListener(l);
    }

    /** The session timeout the server granted (tests). */
    int negotiatedSessionTimeoutMs() throws Exception {
        return client.getZookeeperClient().getZooKeeper().getSessionTimeout();
    }

    @Override
    public boolean connected() {
        return client.getZookeeperClient().isConnected();
    }

    @Override
    public SessionLease lease(Consumer<Boolean> onChange) {
        return sessionClock.lease(onChange);
    }

    @Override
    public Election election(String memberId, Consumer<Boolean> onChange) {
        return LatchElection.start(client, paths.sentinelLeader(), memberId, onChange);
    }

    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return; // closed already
        }
        // A PersistentNode left open when its client closes retries its create from the aborted create's callback,
        // recursing until the event thread's stack overflows: every value goes before the client does.
        published.forEach(EphemeralValue::close);
        watches.close();
        sessionClock.close();
        client.close();
    }

    // ---- plumbing ---------------------------------------------------------------------------------------------

    private void deleteIfExists(String path) {
        try {
            client.delete().quietly().forPath(path);
        } catch (Exception e) {
            throw new StoreException("cannot delete " + path, e);
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

    /** Parses a stored value; an unreadable one is a StoreException naming the path. */
    static <T> T parse(String path, byte[] data, JavaType type) {
        try {
            return Json.read(data, type);
        } catch (UncheckedIOException e) {
            throw new StoreException("cannot parse " + path, e.getCause());
        }
    }

    /** Curator's Stat version of a read, kept with its value. */
    static <T> Versioned<T> versioned(T value, Stat stat) {
        return new Versioned<>(value, stat.getVersion());
    }
}
