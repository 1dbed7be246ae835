package dev.pgha.proxy;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOption;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client connection of a {@link ProxyServer}: where it is routed (connect, hold, refuse), its backend channel,
 * what is known of its session's messages, and how it ends when the leader changes. Owned by the client's event
 * loop: every method runs there.
 */
final class ClientConnection {
    private static final Logger log = LoggerFactory.getLogger(ClientConnection.class);

    private final ProxyServer server;
    /** The client channel's handler, whose peer is the backend channel while there is one. */
    private final Relay frontend;

    final MessageFraming framing = new MessageFraming();
    Route route;
    private Relay toClient; // the backend channel's handler
    private Channel backend;
    private ScheduledFuture<?> holdTimer;
    private String unreachable; // why the last connect attempt failed, while held because of it
    private boolean authenticated; // released from the per-address count of unauthenticated connections

    ClientConnection(ProxyServer server, Relay frontend) {
        this.server = server;
        this.frontend = frontend;
    }

    /** Once the session is authenticated, it no longer counts against its address. */
    void countedAuthenticated(Channel client) {
        if (!authenticated && framing.authenticated()) {
            authenticated = true;
            server.preAuthentication().release(client);
        }
    }

    /** Acts on the current routing: connect, hold, or refuse. */
    void dispatch(Channel client) {
        unreachable = null;
        Routing r = server.routing();
        if (r instanceof Routing.To && !server.routeTrusted()) {
            hold(client); // until the routing is trusted again (or the hold timeout)
        } else if (r instanceof Routing.To to) {
            connect(client, server.nextRoute(to.routes()));
        } else if (r instanceof Routing.Refuse refuse) {
            refuse(client, PgWire.CANNOT_CONNECT_NOW, refuse.reason());
        } else if (server.heldConnections() >= server.settings().maxHeld()) {
            refuse(
                    client,
                    PgWire.CANNOT_CONNECT_NOW,
                    ((Routing.Hold) r).reason() + " (and " + server.settings().maxHeld()
                            + " connections are already waiting)");
        } else {
            hold(client);
        }
    }

    private void hold(Channel client) {
        if (server.routing() instanceof Routing.Refuse f) { // refused since its connect attempt began
            refuse(client, PgWire.CANNOT_CONNECT_NOW, f.reason());
            return;
        }
        if (holdTimer != null && holdTimer.isDone()) { // its hold timeout passed while it tried to connect again
            refuse(client, PgWire.CANNOT_CONNECT_NOW, unreachable != null ? unreachable : "no leader available");
            return;
        }
        server.held(client);
        if (holdTimer == null) {
            holdTimer = client.eventLoop()
                    .schedule(
                            () -> {
                                if (server.released(client)) {
                                    Routing r = server.routing();
                                    String reason = r instanceof Routing.Hold h
                                            ? h.reason()
                                            : r instanceof Routing.Refuse f
                                                    ? f.reason()
                                                    : unreachable != null
                                                            ? unreachable
                                                            : !server.routeTrusted()
                                                                    ? ProxyServer.UNTRUSTED
                                                                    : "no leader available";
                                    refuse(client, PgWire.CANNOT_CONNECT_NOW, reason);
                                }
                            },
                            server.holdTimeout().toMillis(),
                            TimeUnit.MILLISECONDS);
        }
        // The routing may have changed between reading it and joining the held set: look again.
        if (!(server.routing() instanceof Routing.Hold)
                && unreachable == null
                && server.routeTrusted()
                && server.released(client)) {
            dispatch(client);
        }
    }

    /**
     * The destination did not accept the connection: most likely the leader just died and the cluster has not
     * noticed yet. The client waits, unread, for the next routing (bounded by the hold timeout).
     */
    private void holdAfterFailedConnect(Channel client, Route r, Throwable cause) {
        route = null;
        toClient = null;
        backend = null;
        frontend.peer = null;
        unreachable = "no leader available: cannot reach " + r.leader() + " at " + r.host() + ":" + r.port() + " ("
                + (cause == null || cause.getMessage() == null ? "closed" : cause.getMessage()) + ")";
        hold(client);
        client.eventLoop()
                .schedule(
                        () -> {
                            if (server.routing() instanceof Routing.To
                                    && server.routeTrusted()
                                    && server.released(client)) {
                                dispatch(client);
                            }
                        },
                        ProxyServer.RECONNECT_DELAY.toMillis(),
                        TimeUnit.MILLISECONDS);
    }

    void refuse(Channel client, String sqlState, String message) {
        cancelHold();
        server.counters().refused();
        client.pipeline().replace(frontend, "refusal", new StartupRefusal(sqlState, message, server.refusalTls()));
    }

    void cancelHold() {
        if (holdTimer != null) {
            holdTimer.cancel(false);
        }
    }

    private void connect(Channel client, Route r) {
        route = r;
        toClient = new Relay(client) {
            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                if (msg instanceof ByteBuf buf) {
                    server.counters().toClient(buf.readableBytes());
                    framing.fromServer(buf);
                    countedAuthenticated(client);
                }
                super.channelRead(ctx, msg);
            }
        };
        Bootstrap b = new Bootstrap()
                .group(client.eventLoop())
                .channel(server.transport().socketChannel())
                .option(ChannelOption.AUTO_READ, false)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int)
                        server.settings().connectTimeout().toMillis())
                .handler(toClient);
        server.transport().keepalive(b, false);
        ChannelFuture connect = b.connect(r.host(), r.port());
        backend = connect.channel();
        frontend.peer = backend;
        Channel attempt = backend;
        Relay attemptRelay = toClient;
        connect.addListener(f -> {
            if (f.isSuccess() && client.isActive()) {
                cancelHold();
                client.config().setAutoRead(true);
                attempt.config().setAutoRead(true);
            } else {
                attemptRelay.peer = null; // closing the failed attempt must not close the client with it
                attempt.close();
                if (!f.isSuccess() && client.isActive()) {
                    log.debug("cannot reach {}: {}", r, f.cause().toString());
                    holdAfterFailedConnect(client, r, f.cause());
                } else {
                    client.close();
                }
            }
        });
    }

    /**
     * After a change of routing to {@code routed}: a connection to a destination no longer among them ends (57P01
     * between messages, else a plain close). One still connecting there has relayed nothing and its client is unread,
     * so only the attempt is dropped: its failure holds the client for the next routing, as when a leader refuses.
     * Decided here on the client's loop, never from a read on another thread: the attempt may have failed (the client
     * held) or begun towards the new destination since. True when the connection was ended.
     */
    boolean leaveFormerDestination(Channel client, List<Route> routed) {
        if (route == null || routed.stream().anyMatch(route::sameLeader)) {
            return false;
        }
        if (backend != null && !backend.isActive() && backend.isOpen()) {
            backend.close(); // the connect fails: holdAfterFailedConnect
            return false;
        }
        closeWith(client, "terminating connection: the leader changed");
        return true;
    }

    void closeWith(Channel client, String message) {
        if (toClient != null) {
            toClient.peer = null; // nothing more from the old leader reaches the client
        }
        if (backend != null) {
            backend.close();
        }
        if (client.isActive() && framing.atServerMessageBoundary()) {
            client.writeAndFlush(PgWire.fatal(client.alloc(), PgWire.ADMIN_SHUTDOWN, message))
                    .addListener(ChannelFutureListener.CLOSE);
        } else {
            client.close();
        }
    }
}
