package dev.pgha.common.store;

import dev.pgha.common.backup.BackupJob;
import dev.pgha.common.config.ZkPeer;
import dev.pgha.common.model.ClusterSpec;
import dev.pgha.common.model.ClusterView;
import dev.pgha.common.model.HistoryEntry;
import dev.pgha.common.model.KeeperStatus;
import dev.pgha.common.model.MemberInfo;
import dev.pgha.common.model.OperatorRequest;
import dev.pgha.common.model.ProxyStatus;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BiConsumer;
import java.util.function.BiFunction;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * One member's connection to an {@link InMemoryCluster}: the {@link ClusterStore} port without ZooKeeper, for unit
 * tests of the keeper's, the sentinel's and the proxy's loops. Listeners run on the calling thread, after the change.
 * While the session is down ({@link #disconnect()}, {@link #expire()}) every read and write fails as ZooKeeper's
 * would, with a {@link StoreException}.
 */
public final class InMemoryClusterStore implements ClusterStore {
    private final InMemoryCluster cluster;
    private final List<Listener> listeners = new CopyOnWriteArrayList<>();
    private final List<Consumer<SessionEvent>> sessionListeners = new CopyOnWriteArrayList<>();
    private final List<Consumer<Boolean>> electionListeners = new CopyOnWriteArrayList<>();
    private final List<Lease> leases = new CopyOnWriteArrayList<>();
    private final List<Value<?>> published = new CopyOnWriteArrayList<>();
    private volatile long session;
    private volatile boolean leader;

    private record Listener(Set<Topic> topics, Runnable action) {}

    InMemoryClusterStore(InMemoryCluster cluster) {
        this.cluster = cluster;
        this.session = cluster.newSession();
    }

    // ---- test controls ----------------------------------------------------------------------------------------

    /** The connection drops; the session lives on (until {@link #expire()}). */
    public void disconnect() {
        long s = session;
        session = -s;
        leases.forEach(Lease::update);
        sessionListeners.forEach(l -> l.accept(SessionEvent.SUSPENDED));
    }

    /** The session expires: this member's published values vanish, it leaves the election, listeners hear LOST. */
    public void expire() {
        endSession();
        sessionListeners.forEach(l -> l.accept(SessionEvent.LOST));
    }

    private void endSession() {
        long s = Math.abs(session);
        session = 0;
        cluster.changed(cluster.dropSession(s));
        synchronized (cluster.lock) {
            cluster.candidates.remove(this);
        }
        cluster.elect();
        leases.forEach(Lease::update);
    }

    /** Connected again: on the same session after {@link #disconnect()}, on a new one after {@link #expire()}. */
    public void reconnect() {
        boolean fresh = session == 0;
        session = fresh ? cluster.newSession() : Math.abs(session);
        if (fresh) {
            published.forEach(Value::republish);
            if (!electionListeners.isEmpty()) {
                synchronized (cluster.lock) {
                    cluster.candidates.add(this); // like Curator's LeaderLatch, it runs again on a new session
                }
                cluster.elect();
            }
        }
        leases.forEach(Lease::update);
        sessionListeners.forEach(l -> l.accept(SessionEvent.RECONNECTED));
    }

    private long live() {
        long s = session;
        if (s <= 0) {
            throw new StoreException("cannot reach the store", new IllegalStateException("no connection"));
        }
        return s;
    }

    // ---- reading ----------------------------------------------------------------------------------------------

    @Override
    public ClusterSnapshot snapshot() {
        return cluster.snapshot(live());
    }

    @Override
    public Optional<Versioned<ClusterView>> view() {
        live();
        synchronized (cluster.lock) {
            return Optional.ofNullable(cluster.view);
        }
    }

    @Override
    public List<HistoryEntry> history() {
        live();
        synchronized (cluster.lock) {
            return List.copyOf(cluster.history);
        }
    }

    // ---- writing ----------------------------------------------------------------------------------------------

    @Override
    public boolean compareAndSetView(ClusterView next, Optional<Integer> expectedVersion) {
        // recorded in the same critical section: a reader that sees the view finds it in the history too
        return cas(
                Topic.VIEW,
                next,
                expectedVersion,
                (c, v) -> {
                    c.viewHistory.add(next);
                    return c.view = v;
                },
                c -> c.view);
    }

    @Override
    public boolean compareAndSetSpec(ClusterSpec next, Optional<Integer> expectedVersion) {
        return cas(Topic.SPEC, next, expectedVersion, (c, v) -> c.spec = v, c -> c.spec);
    }

    @Override
    public boolean compareAndSetRequest(OperatorRequest next, int expectedVersion) {
        return cas(Topic.REQUEST, next, Optional.of(expectedVersion), (c, v) -> c.request = v, c -> c.request);
    }

    @Override
    public Optional<Versioned<BackupJob>> backupJob() {
        live();
        synchronized (cluster.lock) {
            return Optional.ofNullable(cluster.backup);
        }
    }

    @Override
    public boolean compareAndSetBackupJob(BackupJob next, Optional<Integer> expectedVersion) {
        return cas(Topic.BACKUP, next, expectedVersion, (c, v) -> c.backup = v, c -> c.backup);
    }

    @Override
    public boolean createRequest(OperatorRequest request) {
        return cas(Topic.REQUEST, request, Optional.empty(), (c, v) -> c.request = v, c -> c.request);
    }

    private <T> boolean cas(
            Topic topic,
            T next,
            Optional<Integer> expected,
            BiFunction<InMemoryCluster, Versioned<T>, Versioned<T>> set,
            Function<InMemoryCluster, Versioned<T>> get) {
        live();
        synchronized (cluster.lock) {
            Versioned<T> current = get.apply(cluster);
            if (expected.isEmpty() ? current != null : current == null || current.version() != expected.get()) {
                return false;
            }
            set.apply(cluster, new Versioned<>(next, current == null ? 0 : current.version() + 1));
        }
        cluster.changed(EnumSet.of(topic));
        return true;
    }

    @Override
    public void deleteRequest(int expectedVersion) {
        live();
        synchronized (cluster.lock) {
            if (cluster.request == null || cluster.request.version() != expectedVersion) {
                return;
            }
            cluster.request = null;
        }
        cluster.changed(EnumSet.of(Topic.REQUEST));
    }

    @Override
    public void appendHistory(HistoryEntry entry, int limit) {
        live();
        synchronized (cluster.lock) {
            cluster.history.add(entry);
            while (cluster.history.size() > limit) {
                cluster.history.remove(0);
            }
        }
    }

    @Override
    public void removeMember(String id) {
        write(Topic.MEMBERS, c -> c.members.remove(id));
    }

    @Override
    public void markRemoved(String id) {
        write(Topic.REMOVALS, c -> c.removed.add(id));
    }

    @Override
    public Set<String> removed() {
        live();
        synchronized (cluster.lock) {
            return Set.copyOf(cluster.removed);
        }
    }

    @Override
    public void clearRemoved(String id) {
        write(Topic.REMOVALS, c -> c.removed.remove(id));
    }

    @Override
    public void retireStoreServer(int id) {
        write(Topic.MEMBERS, c -> c.retiredServers.add(id));
    }

    @Override
    public void registerWitness(String id, int storeServer) {
        write(Topic.MEMBERS, c -> c.witnessServers.put(id, storeServer));
    }

    @Override
    public Map<String, Integer> registeredWitnesses() {
        live();
        synchronized (cluster.lock) {
            return Map.copyOf(cluster.witnessServers);
        }
    }

    @Override
    public void removeWitness(String id) {
        write(Topic.MEMBERS, c -> c.witnessServers.remove(id));
    }

    @Override
    public Set<Integer> retiredStoreServers() {
        live();
        synchronized (cluster.lock) {
            return Set.copyOf(cluster.retiredServers);
        }
    }

    @Override
    public Optional<StoreEnsemble> ensemble() {
        return Optional.empty();
    }

    @Override
    public StoreEnsemble changeEnsemble(List<ZkPeer> joining, List<Integer> leaving, long fromVersion) {
        throw new EnsembleChangeException(
                EnsembleChangeException.Kind.UNSUPPORTED, "the in-memory store has no servers");
    }

    @Override
    public void register(MemberInfo member) {
        write(Topic.MEMBERS, c -> c.members.put(member.id(), member));
    }

    @Override
    public void clearRestart(String memberId) {
        write(Topic.RESTARTS, c -> c.restarts.remove(memberId));
    }

    @Override
    public void setParameters(Map<String, String> parameters) {
        write(Topic.PARAMETERS, c -> {
            c.parameters.clear();
            c.parameters.putAll(parameters);
        });
    }

    @Override
    public void requestRestart(String memberId) {
        write(Topic.RESTARTS, c -> c.restarts.add(memberId));
    }

    @Override
    public void requestReinit(String memberId) {
        write(Topic.REINITS, c -> c.reinits.add(memberId));
    }

    @Override
    public void clearReinit(String memberId) {
        write(Topic.REINITS, c -> c.reinits.remove(memberId));
    }

    private void write(Topic topic, Consumer<InMemoryCluster> change) {
        live();
        synchronized (cluster.lock) {
            change.accept(cluster);
        }
        cluster.changed(EnumSet.of(topic));
    }

    // ---- published values -------------------------------------------------------------------------------------

    @Override
    public Published<KeeperStatus> keeperStatus(String memberId) {
        return value(Topic.KEEPERS, memberId, cluster.keepers, (id, s) -> cluster.recordStatus(id, s));
    }

    @Override
    public Published<ProxyStatus> proxyStatus(String memberId) {
        return value(Topic.PROXIES, memberId, cluster.proxies, (id, s) -> {});
    }

    @Override
    public Published<Instant> witness(String memberId) {
        return value(null, memberId, cluster.witnesses, (id, s) -> {});
    }

    private <T> Published<T> value(
            Topic topic, String id, Map<String, InMemoryCluster.Owned<T>> where, BiConsumer<String, T> record) {
        live();
        synchronized (cluster.lock) {
            where.remove(id); // a leftover of an earlier run
        }
        Value<T> v = new Value<>(topic, id, where, record);
        published.add(v);
        return v;
    }

    /** A published value: kept while the session lives, put back on a new one. */
    private final class Value<T> implements Published<T> {
        private final Topic topic;
        private final String id;
        private final Map<String, InMemoryCluster.Owned<T>> where;
        private final BiConsumer<String, T> record;
        private T last;
        private boolean closed;

        Value(Topic topic, String id, Map<String, InMemoryCluster.Owned<T>> where, BiConsumer<String, T> record) {
            this.topic = topic;
            this.id = id;
            this.where = where;
            this.record = record;
        }

        @Override
        public synchronized void publish(T value) {
            if (closed) {
                return;
            }
            last = value;
            put();
        }

        synchronized void republish() {
            if (!closed && last != null) {
                put();
            }
        }

        private void put() {
            long s = session;
            if (s <= 0) {
                return; // like Curator's PersistentNode: put in place once the session is back
            }
            synchronized (cluster.lock) {
                where.put(id, new InMemoryCluster.Owned<>(last, s));
                record.accept(id, last);
            }
            if (topic != null) {
                cluster.changed(EnumSet.of(topic));
            }
        }

        @Override
        public synchronized void close() {
            closed = true;
            synchronized (cluster.lock) {
                where.remove(id);
            }
            if (topic != null) {
                cluster.changed(EnumSet.of(topic));
            }
        }
    }

    // ---- events -----------------------------------------------------------------------------------------------

    @Override
    public Subscription onChange(Set<Topic> topics, Runnable listener) {
        Listener l = new Listener(Set.copyOf(topics), listener);
        listeners.add(l);
        return () -> listeners.remove(l);
    }

    void fire(Set<Topic> topics) {
        for (Listener l : listeners) {
            if (l.topics().stream().anyMatch(topics::contains)) {
                l.action().run();
            }
        }
    }

    @Override
    public Subscription onSession(Consumer<SessionEvent> listener) {
        sessionListeners.add(listener);
        return () -> sessionListeners.remove(listener);
    }

    @Override
    public boolean connected() {
        return session > 0;
    }

    @Override
    public SessionLease lease(Consumer<Boolean> onChange) {
        Lease l = new Lease(onChange);
        leases.add(l);
        return l;
    }

    /** Valid while the session this member acted on is connected (no clock: a test says when it ends). */
    private final class Lease implements SessionLease {
        private final Consumer<Boolean> onChange;
        private volatile long adopted;
        private boolean last;

        Lease(Consumer<Boolean> onChange) {
            this.onChange = onChange;
        }

        @Override
        public boolean valid() {
            return adopted != 0 && adopted == session;
        }

        @Override
        public java.time.Duration remaining() {
            return valid() ? java.time.Duration.ofDays(1) : java.time.Duration.ZERO;
        }

        @Override
        public void adopt(ClusterSnapshot snapshot) {
            adopted = snapshot.session();
            update();
        }

        synchronized void update() {
            boolean now = valid();
            if (now != last) {
                last = now;
                onChange.accept(now);
            }
        }

        @Override
        public void close() {
            leases.remove(this);
        }
    }

    @Override
    public Election election(String memberId, Consumer<Boolean> onChange) {
        electionListeners.add(onChange);
        synchronized (cluster.lock) {
            cluster.candidates.add(this);
        }
        cluster.elect();
        return new Election() {
            @Override
            public boolean isLeader() {
                return leader;
            }

            @Override
            public void close() {
                electionListeners.remove(onChange);
                synchronized (cluster.lock) {
                    cluster.candidates.remove(InMemoryClusterStore.this);
                }
                cluster.elect();
            }
        };
    }

    void leaderIs(InMemoryClusterStore elected) {
        boolean now = elected == this;
        if (now != leader) {
            leader = now;
            new ArrayList<>(electionListeners).forEach(l -> l.accept(now));
        }
    }

    @Override
    public void close() {
        published.forEach(Value::close);
        endSession();
        cluster.clients.remove(this);
    }
}
