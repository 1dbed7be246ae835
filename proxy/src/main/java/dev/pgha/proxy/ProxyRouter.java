package dev.pgha.proxy;

import dev.pgha.common.PghaException;
import dev.pgha.common.concurrent.Closeables;
import dev.pgha.common.concurrent.Lifecycle;
import dev.pgha.common.concurrent.OwnerLoop;
import dev.pgha.common.failsafe.Failsafe;
import dev.pgha.common.model.ClusterView;
import dev.pgha.common.model.KeeperStatus;
import dev.pgha.common.model.MemberInfo;
import dev.pgha.common.model.ProxyStatus;
import dev.pgha.common.model.Role;
import dev.pgha.common.store.ClusterSnapshot;
import dev.pgha.common.store.ClusterStore;
import dev.pgha.common.store.Published;
import dev.pgha.common.store.SessionEvent;
import dev.pgha.common.store.SessionLease;
import dev.pgha.common.store.Subscription;
import dev.pgha.common.store.Topic;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
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
public final class ProxyRouter implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ProxyRouter.class);
    /** Its loop thread's name: the supervisor raises that thread to real-time CPU priority by it. */
    public static final String THREAD = "proxy-router";

    private final ClusterStore store;
    private final String memberId;
    private final ProxyServer server;
    private final ProxyServer readOnly; // null when off
    private final long readOnlyMaxLagBytes;
    private final OwnerLoop loop = new OwnerLoop(THREAD, log, this::refresh);
    private final Lifecycle lifecycle = new Lifecycle();
    private SessionLease lease;
    private Subscription changes;
    private Subscription session;
    private Published<ProxyStatus> ack;
    private boolean leaseWasValid;
    private long ackedGeneration = -1;
    private final Failsafe failsafe;
    private volatile String routedLeader; // the leader the current routing sends clients to; null when none
    private boolean readFailing;

    public ProxyRouter(ClusterStore store, String memberId, ProxyServer server) {
        this(store, memberId, server, null, 0, null);
    }

    /**
     * @param readOnly            the read-only proxy, or null
     * @param readOnlyMaxLagBytes standbys further behind the leader than this get no read-only clients
     * @param failsafe            this node's failsafe promises (null: failsafe plays no part)
     */
    public ProxyRouter(
            ClusterStore store,
            String memberId,
            ProxyServer server,
            ProxyServer readOnly,
            long readOnlyMaxLagBytes,
            Failsafe failsafe) {
        this.failsafe = failsafe;
        this.store = store;
        this.memberId = memberId;
        this.server = server;
        this.readOnly = readOnly;
        this.readOnlyMaxLagBytes = readOnlyMaxLagBytes;
    }

    public void start() {
        if (!lifecycle.start()) {
            return;
        }
        ack = store.proxyStatus(memberId);
        session = store.onSession(this::onSession);
        lease = store.lease(this::onLeaseChange);
        server.trustRouteWhile(this::routeTrusted);
        Set<Topic> topics = readOnly == null
                ? EnumSet.of(Topic.VIEW, Topic.MEMBERS, Topic.SPEC)
                : EnumSet.of(Topic.VIEW, Topic.MEMBERS, Topic.KEEPERS, Topic.SPEC);
        changes = store.onChange(topics, loop::trigger);
        loop.trigger();
    }

    /**
     * The route binds while this proxy's store session surely lives, or, in failsafe mode, while this node vouches
     * for the leader it routes to (it is that leader and every other member promised not to promote, or it promised
     * that leader itself): no other member can be promoted meanwhile.
     */
    private boolean routeTrusted() {
        return lease.valid() || failsafe != null && failsafe.vouchesFor(routedLeader);
    }

    private void onSession(SessionEvent event) {
        if (event == SessionEvent.LOST) {
            loop.execute(() -> {
                if (failsafe != null && failsafe.vouchesFor(routedLeader)) {
                    log.warn(
                            "store session lost; failsafe: still relaying to leader {} while its promises last",
                            routedLeader);
                    return;
                }
                // The leader may have changed: nothing is relayed until a new session reads the view. New clients
                // wait for that (a new session usually follows at once, e.g. when this node's ZooKeeper server died
                // with the leader's node), told this reason when the hold timeout passes first.
                log.warn(
                        "store session lost: the leader may have changed, holding new clients until the store is back");
                Routing hold = new Routing.Hold(
                        "no leader available: this node lost its connection to the cluster store (ZooKeeper)");
                server.update(hold);
                if (readOnly != null) {
                    readOnly.update(hold);
                }
            });
        } else if (event == SessionEvent.RECONNECTED) {
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
            if (failsafe != null && failsafe.vouchesFor(routedLeader)) {
                log.warn(
                        "proxy: no word from the cluster store for a session timeout; failsafe: relaying to leader {}"
                                + " while its promises last",
                        routedLeader);
            } else {
                log.warn("proxy: no word from the cluster store for a session timeout; relaying nothing until it "
                        + "answers (the leader may have changed meanwhile)");
            }
        }
    }

    private void refresh() {
        ClusterSnapshot s;
        Routing routing;
        Routing readOnlyRouting = null;
        try {
            s = store.snapshot();
            Optional<Route> leader = s.view().routable() ? routeTo(s) : Optional.empty();
            routing = leader.<Routing>map(Routing::to).orElseGet(() -> new Routing.Hold(holdReason(s.view())));
            if (readOnly != null) {
                readOnlyRouting = readOnlyRouting(s, leader, routing);
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
        routedLeader = routing instanceof Routing.To ? s.view().leader() : null;
        server.holdTimeout(s.spec().holdTimeout());
        server.update(routing);
        if (readOnlyRouting != null) {
            readOnly.holdTimeout(s.spec().holdTimeout());
            readOnly.update(readOnlyRouting);
        }
        lease.adopt(s); // this routing was read on that session: it binds while the session lives
        acknowledge(s.view().generation());
    }

    /** What a client held past the hold timeout is told. */
    static String holdReason(ClusterView view) {
        return switch (view.phase()) {
            case INITIALIZING -> "no leader available: the cluster is starting";
            case FAILOVER_FENCING, FAILOVER_PROMOTING, SWITCHOVER ->
                switch (view.cause()) {
                    case NO_CANDIDATE -> "no leader available: " + view.reason();
                    default -> "no leader available: failover in progress";
                };
            case NORMAL -> "no leader available: the leader is not reachable";
        };
    }

    /** Healthy standbys following the leader within the lag bound (not tagged noloadbalance); else the leader. */
    private Routing readOnlyRouting(ClusterSnapshot s, Optional<Route> leader, Routing primary) {
        if (leader.isEmpty()) {
            return primary;
        }
        String leaderId = s.view().leader();
        List<Route> standbys = new ArrayList<>();
        for (KeeperStatus k : s.keepers().values()) {
            OptionalLong lag = s.lagBytes(k.memberId());
            boolean eligible = k.role() == Role.STANDBY
                    && !k.tags().noLoadBalance()
                    && k.healthy()
                    && leaderId.equals(k.following())
                    && lag.isPresent()
                    && lag.getAsLong() <= readOnlyMaxLagBytes;
            if (eligible) {
                s.member(k.memberId())
                        .ifPresent(m -> standbys.add(new Route(s.view().generation(), m.id(), m.host(), m.pgPort())));
            }
        }
        return standbys.isEmpty() ? primary : new Routing.To(standbys);
    }

    private Optional<Route> routeTo(ClusterSnapshot s) {
        ClusterView view = s.view();
        Optional<MemberInfo> member = s.member(view.leader());
        if (member.isEmpty()) {
            log.warn("leader {} has no registration; cannot route to it", view.leader());
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
        ack.publish(new ProxyStatus(memberId, generation, Instant.now()));
        ackedGeneration = generation;
    }

    @Override
    public void close() {
        if (lifecycle.close() != Lifecycle.State.STARTED) {
            return;
        }
        Closeables.closeQuietly(session, lease, changes);
        loop.close();
        Closeables.closeQuietly(ack); // ephemeral: it goes with the session anyway
    }
}
