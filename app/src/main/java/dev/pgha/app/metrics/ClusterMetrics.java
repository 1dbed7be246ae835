package dev.pgha.app.metrics;

import dev.pgha.common.concurrent.Closeables;
import dev.pgha.common.concurrent.OwnerLoop;
import dev.pgha.common.model.ClusterView;
import dev.pgha.common.model.KeeperStatus;
import dev.pgha.common.store.ClusterSnapshot;
import dev.pgha.common.store.ClusterStore;
import dev.pgha.common.store.StoreException;
import dev.pgha.common.store.Subscription;
import dev.pgha.common.store.Topic;
import dev.pgha.common.store.Versioned;
import dev.pgha.keeper.Keeper;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Instant;
import java.util.EnumSet;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * pgha's own series, as this member sees the cluster: pgha_is_leader, pgha_cluster_generation,
 * pgha_leader_changes_total, pgha_failover_duration_seconds (from the view leaving NORMAL to NORMAL again under a
 * new leader, by the sentinel's timestamps), pgha_keeper_healthy, pgha_store_connected, pgha_sync_standbys and
 * pgha_synchronous_mode, pgha_cluster_paused and pgha_cluster_paused_since_seconds. Every change of the view, the
 * spec or the membership is read (on this class's own thread), so leader changes between two scrapes are counted too. A
 * change of the view alone reads the view alone: the view changes several times in every failover and switchover,
 * on every member at once, and a whole snapshot (every keeper's status, every proxy's, the members ...) then competed
 * with the keepers' own reads for the store and the CPU, for nothing these series use.
 */
public final class ClusterMetrics implements AutoCloseable {
    private final AtomicBoolean closed = new AtomicBoolean();
    private static final Logger log = LoggerFactory.getLogger(ClusterMetrics.class);

    private final String memberId;
    private final ClusterStore store;
    private final Keeper keeper;
    private final Counter leaderChanges;
    private final Timer failovers;
    private final LeaderChanges changes = new LeaderChanges(); // owned by the loop
    private final OwnerLoop loop = new OwnerLoop("cluster-metrics", log, this::onChange);
    private final Subscription viewChanges;
    private final Subscription specChanges;
    private final AtomicBoolean specChanged = new AtomicBoolean(true); // the spec or the membership: read them too
    private volatile boolean synchronousExpected; // written by the loop, read by scrapes
    private volatile Instant pausedSince; // likewise; null while not paused

    public ClusterMetrics(MeterRegistry registry, String memberId, ClusterStore store, Keeper keeper) {
        this.memberId = memberId;
        this.store = store;
        this.keeper = keeper;
        Gauge.builder("pgha.is.leader", this, m -> m.isLeader() ? 1 : 0)
                .description("Whether this member leads and its postgres serves (1) or not (0)")
                .register(registry);
        Gauge.builder("pgha.cluster.generation", keeper, k -> k.view().generation())
                .description("Generation of the cluster view this member acts on")
                .register(registry);
        Gauge.builder(
                        "pgha.keeper.healthy",
                        keeper,
                        k -> k.status().map(KeeperStatus::healthy).orElse(false) ? 1 : 0)
                .description("Whether this member's postgres is fit to serve in its role")
                .register(registry);
        Gauge.builder("pgha.store.connected", store, s -> s.connected() ? 1 : 0)
                .description("Whether this member is connected to ZooKeeper")
                .register(registry);
        Gauge.builder(
                        "pgha.sync.standbys",
                        keeper,
                        k -> k.view().synchronousNames().size())
                .description("Synchronous standbys the leader waits for")
                .register(registry);
        Gauge.builder("pgha.synchronous.mode", this, m -> m.synchronousExpected ? 1 : 0)
                .description("Whether the cluster spec has commits wait for a synchronous standby (1: synchronousMode "
                        + "on, or auto with two or more members) or not (0)")
                .register(registry);
        Gauge.builder("pgha.cluster.paused", this, m -> m.pausedSince == null ? 0 : 1)
                .description("Whether the cluster is paused (pgha pause: no automatic failover) (1) or not (0)")
                .register(registry);
        Gauge.builder(
                        "pgha.cluster.paused.since",
                        this,
                        m -> m.pausedSince == null ? Double.NaN : m.pausedSince.toEpochMilli() / 1000.0)
                .description("When the cluster was paused, in seconds since the epoch (NaN while not paused)")
                .baseUnit("seconds")
                .register(registry);
        leaderChanges = Counter.builder("pgha.leader.changes")
                .description("Changes of leader seen by this member since it started")
                .register(registry);
        failovers = Timer.builder("pgha.failover.duration")
                .description("From the leader's loss to a new leader serving")
                .register(registry);
        viewChanges = store.onChange(EnumSet.of(Topic.VIEW), loop::trigger);
        specChanges = store.onChange(EnumSet.of(Topic.SPEC, Topic.MEMBERS), () -> {
            specChanged.set(true);
            loop.trigger();
        });
        loop.trigger();
    }

    private boolean isLeader() {
        return memberId.equals(keeper.view().leader()) && keeper.serving();
    }

    private void onChange() {
        Optional<Versioned<ClusterView>> stored;
        try {
            if (specChanged.getAndSet(false)) {
                ClusterSnapshot snapshot = store.snapshot();
                synchronousExpected =
                        snapshot.spec().synchronous(snapshot.members().size());
                pausedSince = snapshot.spec().paused() ? snapshot.spec().pause().since() : null;
                stored = snapshot.storedView();
            } else {
                stored = store.view();
            }
        } catch (StoreException e) {
            specChanged.set(true); // read everything once the store is back: a change may have been missed
            return; // the next change is seen once the store is back
        }
        if (stored.isEmpty()) {
            return;
        }
        ClusterView view = stored.get().value();
        changes.observe(view).ifPresent(c -> {
            leaderChanges.increment();
            c.failover().ifPresent(failovers::record);
        });
    }

    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return; // closed already
        }
        Closeables.closeQuietly(viewChanges);
        Closeables.closeQuietly(specChanges);
        loop.close();
    }
}
