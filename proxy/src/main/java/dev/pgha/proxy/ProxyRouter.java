package dev.pgha.proxy;

import dev.pgha.common.PghaException;
import dev.pgha.common.concurrent.Closeables;
import dev.pgha.common.concurrent.OwnerLoop;
import dev.pgha.common.model.ClusterView;
import dev.pgha.common.model.Json;
import dev.pgha.common.model.KeeperStatus;
import dev.pgha.common.model.MemberInfo;
import dev.pgha.common.model.ProxyStatus;
import dev.pgha.common.model.Role;
import dev.pgha.common.store.ClusterStore;
import dev.pgha.common.store.SessionLease;
import dev.pgha.common.store.Versioned;
import java.io.Closeable;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.curator.framework.recipes.nodes.PersistentNode;
import org.apache.curator.framework.state.ConnectionState;
import org.apache.curator.framework.state.ConnectionStateListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps a {@link ProxyServer} routed by the cluster view, and acknowledges in the store the generation it routes
 * by. While the cluster has no leader (a failover), new clients are held. While the store is briefly unreachable
 * the last route stays (the leader keeps serving within its session); once the session is lost the leader may have
 * changed without us knowing, so clients are refused (57P03) until the store is back.
 *
 * <p>An optional read-only proxy is routed to the healthy standbys that follow the leader within a lag bound,
 * and to the leader when there are none.
 */
public final class ProxyRouter implements Closeable {
    private static final Logger log = LoggerFactory.getLogger(ProxyRouter.class);

    private final ClusterStore store;
    private final String memberId;
    private final ProxyServer server;
    private final ProxyServer readOnly; // null when off
    private final long readOnlyMaxLagBytes;
    private final OwnerLoop loop = new OwnerLoop("proxy-router", log, this::refresh);
    private final List<Closeable> watches = new ArrayList<>();
    private final ConnectionStateListener connectionListener = (client, state) -> onConnectionState(state);
    private final SessionLease lease;
    private boolean leaseWasValid;
    private PersistentNode ack;
    private long ackedGeneration = -1;
    private boolean readFailing;

    public ProxyRouter(ClusterStore store, String memberId, ProxyServer server, Duration sessionTimeout) {
        this(store, memberId, server, null, 0, sessionTimeout);
    }

    /**
     * @param readOnly            the read-only proxy, or null
     * @param readOnlyMaxLagBytes standbys further behind the leader than this get no read-only clients
     * @param sessionTimeout      the store session timeout: the route binds only while the session surely lives
     */
    public ProxyRouter(
            ClusterStore store,
            String memberId,
            ProxyServer server,
            ProxyServer readOnly,
            long readOnlyMaxLagBytes,
            Duration sessionTimeout) {
        this.lease = new SessionLease(store, sessionTimeout, this::onLeaseChange);
        this.store = store;
        this.memberId = memberId;
        this.server = server;
        this.readOnly = readOnly;
        this.readOnlyMaxLagBytes = readOnlyMaxLagBytes;
    }

    public void start() {
        // An ack left by this member's previous run would stand for a proxy that is gone.
        store.deleteIfExists(store.paths().proxy(memberId));
        store.curator().getConnectionStateListenable().addListener(connectionListener);
        server.trustRouteWhile(lease::valid);
        lease.start();
        watches.add(store.watch(store.paths().view(), loop::trigger));
        watches.add(store.watch(store.paths().members(), loop::trigger));
        if (readOnly != null) {
            watches.add(store.watch(store.paths().keepers(), loop::trigger));
        }
        loop.trigger();
    }

    private void onConnectionState(ConnectionState state) {
        if (state == ConnectionState.LOST) {
            loop.execute(() -> {
                log.warn("store session lost: the leader may have changed, refusing clients until the store is back");
                Routing refuse = new Routing.Refuse(
                        "no leader available: this node lost its connection to the " + "cluster store (ZooKeeper)");
                server.update(refuse);
                if (readOnly != null) {
                    readOnly.update(refuse);
                }
            });
        } else if (state == ConnectionState.RECONNECTED) {
            loop.trigger();
        }
    }

    /**
     * The sentinel promotes a new leader only once every proxy has acknowledged the fencing or lost its session;
     * while this proxy's session surely lives it has done neither, so its route still binds. Past that, it relays
     * nothing more to the old destination (a paused or cut-off proxy wakes up with a stale route).
     */
    private void onLeaseChange(boolean valid) {
        if (valid) {
            if (leaseWasValid) {
                log.info("proxy: the cluster store answers again; relaying clients");
            }
            leaseWasValid = true;
            server.routeTrustRestored();
        } else if (leaseWasValid) {
            log.warn("proxy: no word from the cluster store for a session timeout; relaying nothing until it answers"
                    + " (the leader may have changed meanwhile)");
        }
    }

    private void refresh() {
        long sent = System.nanoTime();
        long session = lease.session();
        ClusterView view;
        Routing routing;
        Routing readOnlyRouting = null;
        try {
            view = store.view().map(Versioned::value).orElse(ClusterView.initial());
            Optional<Route> leader = view.routable() ? routeTo(view) : Optional.empty();
            routing = leader.<Routing>map(Routing::to).orElseGet(() -> new Routing.Hold(holdReason(view)));
            if (readOnly != null) {
                readOnlyRouting = readOnlyRouting(view, leader, routing);
            }
            if (readFailing) {
                log.info("store reachable again");
                readFailing = false;
            }
        } catch (PghaException e) {
            if (!readFailing) {
                log.warn("cannot read the cluster view, keeping the current route: {}", e.getMessage());
                readFailing = true;
            }
            return;
        }
        server.update(routing);
        if (readOnlyRouting != null) {
            readOnly.update(readOnlyRouting);
        }
        lease.adopt(session, sent); // this routing was read on that session: it binds while the session lives
        acknowledge(view.generation());
    }

    /** What a client held past the hold timeout is told. */
    static String holdReason(ClusterView view) {
        return switch (view.phase()) {
            case INITIALIZING -> "no leader available: the cluster is starting";
            case FAILOVER_FENCING, FAILOVER_PROMOTING, SWITCHOVER ->
                view.reason() != null && view.reason().startsWith("no leader: ")
                        ? "no leader available: " + view.reason().substring("no leader: ".length())
                        : "no leader available: failover in progress";
            case NORMAL -> "no leader available: the leader is not reachable";
        };
    }

    /** Healthy standbys following the leader within the lag bound; the leader when there are none. */
    private Routing readOnlyRouting(ClusterView view, Optional<Route> leader, Routing primary) {
        if (leader.isEmpty()) {
            return primary;
        }
        Map<String, KeeperStatus> keepers = store.keepers();
        KeeperStatus leaderStatus = keepers.get(view.leader());
        long leaderLsn = leaderStatus == null ? 0 : leaderStatus.writtenLsn();
        List<Route> standbys = new ArrayList<>();
        for (KeeperStatus k : keepers.values()) {
            boolean eligible = k.role() == Role.STANDBY
                    && k.healthy()
                    && view.leader().equals(k.following())
                    && leaderLsn - k.replayedLsn() <= readOnlyMaxLagBytes;
            if (eligible) {
                store.member(k.memberId())
                        .ifPresent(m -> standbys.add(new Route(view.generation(), m.id(), m.host(), m.pgPort())));
            }
        }
        return standbys.isEmpty() ? primary : new Routing.To(standbys);
    }

    private Optional<Route> routeTo(ClusterView view) {
        Optional<MemberInfo> member = store.member(view.leader());
        if (member.isEmpty()) {
            log.warn(
                    "leader {} has no registration under {}; cannot route to it",
                    view.leader(),
                    store.paths().members());
            return Optional.empty();
        }
        return Optional.of(new Route(
                view.generation(),
                view.leader(),
                member.get().host(),
                member.get().pgPort()));
    }

    private void acknowledge(long generation) {
        if (generation == ackedGeneration) {
            return;
        }
        byte[] json = Json.write(new ProxyStatus(memberId, generation, Instant.now()));
        try {
            if (ack == null) {
                ack = store.ephemeral(store.paths().proxy(memberId), json);
            } else {
                ack.setData(json);
            }
            ackedGeneration = generation;
        } catch (Exception e) {
            log.debug("acknowledging generation {} failed: {}", generation, e.toString());
        }
    }

    @Override
    public void close() {
        store.curator().getConnectionStateListenable().removeListener(connectionListener);
        lease.close();
        watches.forEach(Closeables::closeQuietly);
        loop.close();
        Closeables.closeQuietly(ack); // ephemeral: it goes with the session anyway
    }
}
