package dev.pgha.sentinel;

import dev.pgha.common.PghaException;
import dev.pgha.common.concurrent.Closeables;
import dev.pgha.common.concurrent.OwnerLoop;
import dev.pgha.common.config.Durations;
import dev.pgha.common.model.ClusterSpec;
import dev.pgha.common.model.ClusterView;
import dev.pgha.common.model.HistoryEntry;
import dev.pgha.common.model.KeeperStatus;
import dev.pgha.common.model.OperatorRequest;
import dev.pgha.common.model.Phase;
import dev.pgha.common.store.ClusterStore;
import dev.pgha.common.store.Versioned;
import java.io.Closeable;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import org.apache.curator.framework.recipes.leader.LeaderLatch;
import org.apache.curator.framework.recipes.leader.LeaderLatchListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every member runs a sentinel; the one holding the LeaderLatch computes the next view ({@link ViewPlanner}) on
 * every interval and whenever keepers, proxies or the view change, and writes it with compare-and-set so a
 * sentinel acting on a stale read can never overwrite a newer view. All work runs on the "sentinel" thread.
 */
public final class Sentinel implements Closeable {
    private static final Logger log = LoggerFactory.getLogger(Sentinel.class);
    private static final int HISTORY_LIMIT = 100;
    /** An accepted request is dropped after this long even if the cluster never got back to NORMAL. */
    private static final Duration REQUEST_LIFETIME = Duration.ofMinutes(10);
    /** A refusal waits this long for its CLI to read it. */
    private static final Duration REFUSAL_LIFETIME = Duration.ofMinutes(1);

    private final ClusterStore store;
    private final String memberId;
    private final ClusterSpec desiredSpec;
    private final Duration interval;
    private final Duration deadMemberRemoval;
    private final OwnerLoop loop;
    private Map<String, Instant> goneSince = Map.of();
    private final List<Closeable> watches = new ArrayList<>();
    private LeaderLatch latch;
    private String lastReason;
    private boolean lastFailed;

    /**
     * @param desiredSpec the spec from this member's configuration; written to the store while this sentinel is
     *                    the elected one
     * @param deadMemberRemoval a member gone this long is removed (cluster.deadMemberRemovalInterval)
     */
    public Sentinel(
            ClusterStore store,
            String memberId,
            ClusterSpec desiredSpec,
            Duration interval,
            Duration deadMemberRemoval) {
        this.store = store;
        this.memberId = memberId;
        this.desiredSpec = desiredSpec;
        this.interval = interval;
        this.deadMemberRemoval = deadMemberRemoval;
        this.loop = new OwnerLoop("sentinel", log, this::evaluateSafely);
    }

    public void start() {
        latch = new LeaderLatch(store.curator(), store.paths().sentinelLeader(), memberId);
        latch.addListener(new LeaderLatchListener() {
            @Override
            public void isLeader() {
                log.info("elected: this member's sentinel now decides the cluster view");
                loop.trigger();
            }

            @Override
            public void notLeader() {
                log.info("no longer the elected sentinel");
                loop.trigger(); // forgets its clocks of absent members on the loop thread
            }
        });
        try {
            latch.start();
        } catch (Exception e) {
            throw new PghaException("cannot join the sentinel election: " + e.getMessage());
        }
        watches.add(store.watch(store.paths().keepers(), loop::trigger));
        watches.add(store.watch(store.paths().proxies(), loop::trigger));
        watches.add(store.watch(store.paths().view(), loop::trigger));
        watches.add(store.watch(store.paths().request(), loop::trigger));
        loop.runEvery(interval);
    }

    public boolean isLeader() {
        return latch != null && latch.hasLeadership();
    }

    private void evaluateSafely() {
        try {
            evaluate();
            if (lastFailed) {
                log.info("store reachable again");
                lastFailed = false;
            }
        } catch (PghaException e) {
            if (!lastFailed) {
                log.warn("cannot evaluate the cluster: {}", e.getMessage());
                lastFailed = true;
            }
        }
    }

    private void evaluate() {
        if (!isLeader()) {
            goneSince = Map.of();
            return;
        }
        ClusterSpec spec = ensureSpec();
        Optional<Versioned<ClusterView>> current = store.view();
        ClusterView view = current.map(Versioned::value).orElse(ClusterView.initial());
        Map<String, KeeperStatus> keepers = store.keepers();
        Set<String> members = removeDeadMembers(store.members().keySet(), keepers.keySet(), view);
        OperatorRequest accepted = handleRequest(view, keepers, members, spec);
        ClusterView next = ViewPlanner.next(view, keepers, store.proxies(), members, spec, accepted, Instant.now());
        if (next.equals(view) && current.isPresent()) {
            return;
        }
        if (!isLeader()) {
            return; // lost the election while reading; the compare-and-set would catch it too
        }
        if (!store.compareAndSetView(next, current.map(Versioned::version))) {
            log.debug("view changed under us; evaluating again");
            loop.trigger();
            return;
        }
        if (next.generation() != view.generation()) {
            log.info(
                    "view generation {}: leader {}, phase {} ({})",
                    next.generation(),
                    next.leader() == null ? "none" : next.leader(),
                    next.phase(),
                    next.reason());
        } else if (!Objects.equals(next.reason(), lastReason)) {
            if (next.reason().startsWith("no leader") || next.reason().contains("no synchronous standby")) {
                log.warn("{}", next.reason());
            } else {
                log.info("{}", next.reason());
            }
        }
        lastReason = next.reason();
        if (next.phase() == Phase.NORMAL
                && next.leader() != null
                && (view.phase() != Phase.NORMAL || !next.leader().equals(view.leader()))) {
            recordLeaderChange(next, keepers.get(next.leader()));
        }
    }

    /**
     * An operator's request: a pending one is accepted or refused (the CLI reads the answer); an accepted one is
     * handed to the planner until the cluster is NORMAL again, then removed. Returns the accepted request, if any.
     */
    private OperatorRequest handleRequest(
            ClusterView view, Map<String, KeeperStatus> keepers, Set<String> members, ClusterSpec spec) {
        Optional<Versioned<OperatorRequest>> stored = store.request();
        if (stored.isEmpty()) {
            return null;
        }
        OperatorRequest r = stored.get().value();
        int version = stored.get().version();
        Instant now = Instant.now();
        switch (r.state()) {
            case PENDING -> {
                ViewPlanner.Verdict v = ViewPlanner.check(r, view, keepers, members, spec);
                OperatorRequest answered = v.refusal() != null
                        ? r.refuse(v.refusal())
                        : r.accept(v.target(), "accepted", view.generation());
                if (!store.compareAndSetRequest(answered, version)) {
                    loop.trigger();
                    return null;
                }
                if (v.refusal() != null) {
                    log.warn("{} refused: {}", describe(r), v.refusal());
                    return null;
                }
                log.info("{} accepted: target {}", describe(r), v.target());
                return answered;
            }
            case ACCEPTED -> {
                boolean done = view.generation() > r.generation() && view.phase() == Phase.NORMAL;
                if (done || now.isAfter(r.requestedAt().plus(REQUEST_LIFETIME))) {
                    store.deleteRequest(version);
                    return null;
                }
                return r;
            }
            default -> {
                if (now.isAfter(r.requestedAt().plus(REFUSAL_LIFETIME))) {
                    store.deleteRequest(version); // its CLI did not collect the answer
                }
                return null;
            }
        }
    }

    /** Removes the registrations of members gone longer than the interval; returns the members that remain. */
    private Set<String> removeDeadMembers(Set<String> registered, Set<String> live, ClusterView view) {
        DeadMembers.Decision d = DeadMembers.next(goneSince, registered, live, view, Instant.now(), deadMemberRemoval);
        goneSince = d.goneSince();
        if (d.remove().isEmpty()) {
            return registered;
        }
        Set<String> remaining = new java.util.TreeSet<>(registered);
        for (String id : d.remove()) {
            store.deleteIfExists(store.paths().member(id));
            remaining.remove(id);
            log.warn(
                    "removed member {}: gone for longer than cluster.deadMemberRemovalInterval ({}); the leader drops "
                            + "its replication slot, and it registers again if it returns",
                    id,
                    Durations.format(deadMemberRemoval));
        }
        return remaining;
    }

    private static String describe(OperatorRequest r) {
        return (r.kind() == OperatorRequest.Kind.SWITCHOVER ? "switchover" : "forced failover")
                + (r.target() == null ? "" : " to " + r.target());
    }

    private void recordLeaderChange(ClusterView next, KeeperStatus leaderStatus) {
        List<HistoryEntry> history = store.history();
        String previous =
                history.isEmpty() ? null : history.get(history.size() - 1).newLeader();
        store.appendHistory(
                new HistoryEntry(
                        next.updatedAt(),
                        next.generation(),
                        previous,
                        next.leader(),
                        next.reason(),
                        leaderStatus == null ? 0 : leaderStatus.writtenLsn()),
                HISTORY_LIMIT);
    }

    /** The elected sentinel's configuration is the cluster's: it is written into the spec when it differs. */
    private ClusterSpec ensureSpec() {
        ClusterSpec desired = desiredSpec;
        Optional<Versioned<ClusterSpec>> current = store.spec();
        if (current.isPresent() && current.get().value().equals(desired)) {
            return desired;
        }
        if (store.compareAndSetSpec(desired, current.map(Versioned::version))) {
            log.info(
                    "cluster spec: primary region {}, synchronous mode {}{}, fail timeout {}",
                    desired.primaryRegion() == null ? "any" : desired.primaryRegion(),
                    desired.synchronousMode().name().toLowerCase(java.util.Locale.ROOT),
                    desired.synchronousStrict() ? " (strict)" : "",
                    Durations.format(desired.failTimeout()));
        }
        return desired;
    }

    @Override
    public void close() {
        loop.close();
        watches.forEach(Closeables::closeQuietly);
        Closeables.closeQuietly(latch); // its node is ephemeral: it goes with the session anyway
    }
}
