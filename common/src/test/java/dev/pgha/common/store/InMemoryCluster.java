package dev.pgha.common.store;

import dev.pgha.common.backup.BackupJob;
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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The shared state of one cluster held in memory, as a ZooKeeper server would hold it: members connect to it with
 * {@link #connect()} and each gets a {@link InMemoryClusterStore} with a session of its own. A test can end a
 * session ({@link InMemoryClusterStore#expire()}), which removes that member's published values, ends its election
 * and tells its listeners, and watch every status a keeper ever published ({@link #statusHistory}).
 */
public final class InMemoryCluster {
    final Object lock = new Object();
    Versioned<ClusterView> view;
    Versioned<ClusterSpec> spec;
    Versioned<OperatorRequest> request;
    Versioned<BackupJob> backup;
    final Map<String, MemberInfo> members = new TreeMap<>();
    final Map<String, Owned<KeeperStatus>> keepers = new TreeMap<>();
    final Map<String, Owned<ProxyStatus>> proxies = new TreeMap<>();
    final Map<String, Owned<Instant>> witnesses = new TreeMap<>();
    final Map<String, String> parameters = new TreeMap<>();
    final Set<String> restarts = new TreeSet<>();
    final Set<String> reinits = new TreeSet<>();
    final Set<String> removed = new TreeSet<>();
    final Set<Integer> retiredServers = new TreeSet<>();
    final Map<String, Integer> witnessServers = new TreeMap<>();
    final List<HistoryEntry> history = new ArrayList<>();
    final List<InMemoryClusterStore> candidates = new ArrayList<>(); // election order
    final List<InMemoryClusterStore> clients = new CopyOnWriteArrayList<>();
    private final Map<String, List<KeeperStatus>> statusHistory = new LinkedHashMap<>();
    final List<ClusterView> viewHistory = new ArrayList<>();
    private long sessions;

    /** A value that lives as long as the session that published it. */
    record Owned<T>(T value, long session) {}

    /** A new client with a session of its own. */
    public InMemoryClusterStore connect() {
        InMemoryClusterStore client = new InMemoryClusterStore(this);
        clients.add(client);
        return client;
    }

    long newSession() {
        synchronized (lock) {
            return ++sessions;
        }
    }

    /** Every status {@code memberId}'s keeper published, oldest first. */
    public List<KeeperStatus> statusHistory(String memberId) {
        synchronized (lock) {
            return List.copyOf(statusHistory.getOrDefault(memberId, List.of()));
        }
    }

    /** Every view the sentinel wrote, oldest first (a generation rewritten with a new reason appears again). */
    public List<ClusterView> viewHistory() {
        synchronized (lock) {
            return List.copyOf(viewHistory);
        }
    }

    void recordStatus(String memberId, KeeperStatus status) {
        statusHistory.computeIfAbsent(memberId, k -> new ArrayList<>()).add(status);
    }

    ClusterSnapshot snapshot(long session) {
        synchronized (lock) {
            return new ClusterSnapshot(
                    Optional.ofNullable(view),
                    Optional.ofNullable(spec),
                    members,
                    values(keepers),
                    values(proxies),
                    values(witnesses),
                    Optional.ofNullable(request),
                    parameters,
                    restarts,
                    reinits,
                    session,
                    System.nanoTime());
        }
    }

    private static <T> Map<String, T> values(Map<String, Owned<T>> owned) {
        Map<String, T> m = new TreeMap<>();
        owned.forEach((k, v) -> m.put(k, v.value()));
        return m;
    }

    /** Drops what {@code session} owned; returns the topics that changed. */
    Set<Topic> dropSession(long session) {
        Set<Topic> changed = EnumSet.noneOf(Topic.class);
        synchronized (lock) {
            if (keepers.values().removeIf(o -> o.session() == session)) {
                changed.add(Topic.KEEPERS);
            }
            if (proxies.values().removeIf(o -> o.session() == session)) {
                changed.add(Topic.PROXIES);
            }
            witnesses.values().removeIf(o -> o.session() == session);
        }
        return changed;
    }

    /** Tells every client's listeners of {@code topics}, outside the lock. */
    void changed(Set<Topic> topics) {
        for (InMemoryClusterStore c : clients) {
            c.fire(topics);
        }
    }

    /** Re-evaluates the election: the first live candidate leads. */
    void elect() {
        InMemoryClusterStore leader;
        synchronized (lock) {
            leader = candidates.isEmpty() ? null : candidates.get(0);
        }
        for (InMemoryClusterStore c : clients) {
            c.leaderIs(leader);
        }
    }
}
