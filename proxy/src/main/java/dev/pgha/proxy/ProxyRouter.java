package dev.pgha.proxy;

import dev.pgha.common.PghaException;
import dev.pgha.common.concurrent.Closeables;
import dev.pgha.common.concurrent.OwnerLoop;
import dev.pgha.common.model.ClusterView;
import dev.pgha.common.model.Json;
import dev.pgha.common.model.MemberInfo;
import dev.pgha.common.model.ProxyStatus;
import dev.pgha.common.store.ClusterStore;
import dev.pgha.common.store.Versioned;
import java.io.Closeable;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.apache.curator.framework.recipes.nodes.PersistentNode;
import org.apache.curator.framework.state.ConnectionState;
import org.apache.curator.framework.state.ConnectionStateListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps a {@link ProxyServer} routed by the cluster view, and acknowledges in the store the generation it routes
 * by. While the store is briefly unreachable the last route stays (the leader keeps serving within its session);
 * once the session is lost the leader may have changed without us knowing, so clients are refused until the
 * store is back.
 */
public final class ProxyRouter implements Closeable {
    private static final Logger log = LoggerFactory.getLogger(ProxyRouter.class);

    private final ClusterStore store;
    private final String memberId;
    private final ProxyServer server;
    private final OwnerLoop loop = new OwnerLoop("proxy-router", log, this::refresh);
    private final List<Closeable> watches = new ArrayList<>();
    private final ConnectionStateListener connectionListener = (client, state) -> onConnectionState(state);
    private PersistentNode ack;
    private long ackedGeneration = -1;
    private boolean readFailing;

    public ProxyRouter(ClusterStore store, String memberId, ProxyServer server) {
        this.store = store;
        this.memberId = memberId;
        this.server = server;
    }

    public void start() {
        // An ack left by this member's previous run would stand for a proxy that is gone.
        store.deleteIfExists(store.paths().proxy(memberId));
        store.curator().getConnectionStateListenable().addListener(connectionListener);
        watches.add(store.watch(store.paths().view(), loop::trigger));
        watches.add(store.watch(store.paths().members(), loop::trigger));
        loop.trigger();
    }

    private void onConnectionState(ConnectionState state) {
        if (state == ConnectionState.LOST) {
            loop.execute(() -> {
                log.warn("store session lost: the leader may have changed, refusing clients until the store is back");
                server.route(Optional.empty());
            });
        } else if (state == ConnectionState.RECONNECTED) {
            loop.trigger();
        }
    }

    private void refresh() {
        ClusterView view;
        Optional<Route> route;
        try {
            view = store.view().map(Versioned::value).orElse(ClusterView.initial());
            route = view.routable() ? routeTo(view) : Optional.empty();
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
        server.route(route);
        acknowledge(view.generation());
    }

    private Optional<Route> routeTo(ClusterView view) {
        Optional<MemberInfo> member = store.member(view.leader());
        if (member.isEmpty()) {
            log.warn("leader {} has no registration under {}; cannot route to it", view.leader(),
                    store.paths().members());
            return Optional.empty();
        }
        return Optional.of(new Route(view.generation(), view.leader(), member.get().host(), member.get().pgPort()));
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
        watches.forEach(Closeables::closeQuietly);
        loop.close();
        Closeables.closeQuietly(ack); // ephemeral: it goes with the session anyway
    }
}
