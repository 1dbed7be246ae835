package dev.pgha.proxy;

import dev.pgha.net.Transport;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.util.AttributeKey;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.io.Closeable;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The client-facing TCP proxy. Every accepted connection is relayed to a destination of the current
 * {@link Routing}; while there is none (a failover) it is held, unread, and connected as soon as one is published,
 * or refused with a postgres ErrorResponse (57P03) after {@link ProxySettings#holdTimeout}. When the destination
 * changes, connections to the old one are closed, with a FATAL 57P01 when the proxy can place it between two
 * server messages. The listener never depends on the store.
 */
public final class ProxyServer implements Closeable {
    private static final Logger log = LoggerFactory.getLogger(ProxyServer.class);
    private static final AttributeKey<ClientConnection> CONNECTION = AttributeKey.valueOf("pgha.connection");
    /**
     * How soon a client held because the leader refused its connection tries again while the routing stays: a refusal
     * is most often a leader that just died (the next routing connects it), but can be a moment's trouble of a healthy
     * leader's (a name not resolving yet, a full accept queue), which must not cost the client its whole hold timeout.
     */
    static final Duration RECONNECT_DELAY = Duration.ofMillis(250);

    static final String UNTRUSTED = "no leader available: this node has not heard from the cluster store for a "
            + "session timeout, so the leader may have changed";

    private final String name;
    private final ProxySettings settings;
    /** proxy.holdTimeout: this node's, or the cluster's runtime setting (`pgha config set proxy.holdTimeout=…`). */
    private volatile Duration holdTimeout;

    private final Transport transport;
    private final EventLoopGroup group;
    private final ChannelGroup clients = new DefaultChannelGroup("clients", GlobalEventExecutor.INSTANCE);
    private final Set<Channel> held = ConcurrentHashMap.newKeySet();
    private final AtomicReference<Routing> routing =
            new AtomicReference<>(new Routing.Hold("no leader available: the cluster is starting"));
    private final AtomicInteger roundRobin = new AtomicInteger();
    private final List<Consumer<Optional<Route>>> routeListeners = new CopyOnWriteArrayList<>();
    private final Channel listener;
    private final ProxyCounters counters = new ProxyCounters();
    private final AtomicBoolean closed = new AtomicBoolean();
    private final PreAuthentication preAuth;
    private volatile BooleanSupplier routeTrusted = () -> true;
    private volatile RefusalTls refusalTls;

    private ProxyServer(String name, ProxySettings settings, Transport transport, EventLoopGroup group, int port)
            throws BindException {
        this.name = name;
        this.settings = settings;
        this.holdTimeout = settings.holdTimeout();
        this.transport = transport;
        this.group = group;
        this.preAuth = new PreAuthentication(settings.maxUnauthenticatedPerAddress());
        ServerBootstrap b = new ServerBootstrap()
                .group(group)
                .channel(transport.serverChannel())
                .option(ChannelOption.SO_BACKLOG, 1024)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.AUTO_READ, false)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(new Frontend());
                    }
                });
        transport.keepalive(b, true);
        this.listener = Transport.awaitBound(b.bind(port));
    }

    /**
     * Listens on {@code port} (all addresses; 0 = any free port).
     *
     * @param name what to call it in logs, e.g. "proxy" or "read-only proxy"
     * @throws BindException when the port is taken
     */
    public static ProxyServer listen(String name, int port, ProxySettings settings) throws BindException {
        Transport transport = Transport.best();
        int n = settings.threads() > 0
                ? settings.threads()
                : Runtime.getRuntime().availableProcessors();
        EventLoopGroup group = transport.newGroup(n, name.replace(' ', '-'));
        try {
            ProxyServer server = new ProxyServer(name, settings, transport, group, port);
            log.info(
                    "{} listening on port {} ({} transport, {} event loops); no leader yet, holding clients",
                    name,
                    server.port(),
                    transport.name(),
                    n);
            return server;
        } catch (BindException | RuntimeException e) {
            group.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS);
            throw e;
        }
    }

    /**
     * Relays client bytes to postgres, and connects new clients, only while {@code trusted} says the routing is
     * still binding (the store session lease): a proxy that was paused or cut off must not hand a query to a
     * leader that may have been replaced meanwhile. Bytes from postgres still reach their client: they answer
     * queries sent while the routing was trusted. New clients wait (held) until it is trusted again.
     */
    public void trustRouteWhile(BooleanSupplier trusted) {
        this.routeTrusted = trusted;
    }

    /** Refused clients that ask for TLS get it, with this certificate (see {@link RefusalTls}). */
    public void answerRefusalsWithTls(RefusalTls tls) {
        this.refusalTls = tls;
    }

    /** The routing is trusted again: held clients are connected (or refused) by the current routing. */
    public void routeTrustRestored() {
        redispatchHeld();
    }

    /**
     * How long new clients are held from now on: the cluster's runtime setting, or (null) this node's configured
     * proxy.holdTimeout again. Clients already held keep the timer they were given.
     */
    public void holdTimeout(Duration clusterSetting) {
        holdTimeout = clusterSetting == null ? settings.holdTimeout() : clusterSetting;
    }

    /**
     * Sets what happens to new connections. Connections to a destination that is no longer routed to are closed;
     * held connections are connected to the new destination, or refused when the new routing refuses.
     */
    public void update(Routing next) {
        Routing previous = routing.getAndSet(next);
        if (next.equals(previous)) {
            return;
        }
        List<Route> now = next instanceof Routing.To to ? to.routes() : List.of();
        List<Future<Boolean>> closing = new ArrayList<>();
        for (Channel ch : settings.keepOnReroute() ? List.<Channel>of() : clients) {
            ClientConnection c = ch.attr(CONNECTION).get();
            if (c != null) {
                closing.add(ch.eventLoop().submit(() -> c.leaveFormerDestination(ch, now)));
            }
        }
        // the router acknowledges the generation after this: the old leader's clients are gone
        int closed = awaitQuietly(closing);
        if (!(next instanceof Routing.Hold)) {
            redispatchHeld();
        }
        String closedNote = closed > 0 ? "; closing " + closed + " connections to the old destination" : "";
        if (next instanceof Routing.To to) {
            List<Route> was = previous instanceof Routing.To p ? p.routes() : List.of();
            if (!Routing.sameDestinations(was, to.routes()) || closed > 0) {
                log.info("{}: routing clients to {}{}", name, Routing.describe(to.routes()), closedNote);
            }
        } else if (next instanceof Routing.Hold hold) {
            log.warn(
                    "{}: holding new clients up to {} s ({}){}",
                    name,
                    holdTimeout.toSeconds(),
                    hold.reason(),
                    closedNote);
        } else if (next instanceof Routing.Refuse refuse) {
            log.warn("{}: refusing new clients ({}){}", name, refuse.reason(), closedNote);
        }
        Optional<Route> first = currentRoute();
        Optional<Route> before =
                previous instanceof Routing.To p ? Optional.of(p.routes().get(0)) : Optional.empty();
        if (!first.equals(before)) {
            routeListeners.forEach(l -> l.accept(first));
        }
    }

    /**
     * Waits (bounded) for the event loops to act on a routing change; never called from one of them. Returns how
     * many connections they ended.
     */
    private static int awaitQuietly(List<Future<Boolean>> work) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
        int ended = 0;
        for (Future<Boolean> f : work) {
            try {
                if (f.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
                    ended++;
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return ended;
            } catch (ExecutionException | TimeoutException e) {
                log.debug("closing a client connection: {}", e.toString());
            }
        }
        return ended;
    }

    /** The (first) destination, while there is one. */
    public Optional<Route> currentRoute() {
        return routing.get() instanceof Routing.To to ? Optional.of(to.routes().get(0)) : Optional.empty();
    }

    /** Called (on the routing thread) after every change of the first destination. */
    public void onRouteChange(Consumer<Optional<Route>> listener) {
        routeListeners.add(listener);
    }

    /** The port it listens on (useful after {@code listen(name, 0, ...)}). */
    public int port() {
        return ((InetSocketAddress) listener.localAddress()).getPort();
    }

    public int clientConnections() {
        return clients.size();
    }

    public int heldConnections() {
        return held.size();
    }

    public ProxyCounters counters() {
        return counters;
    }

    /** Stops accepting; existing connections continue until {@link #close()}. */
    public void stopAccepting() {
        listener.close().awaitUninterruptibly();
    }

    /** Stops accepting, closes every client connection and the event loops; once. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        stopAccepting();
        int open = clients.size();
        clients.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
        log.info("{} stopped; closed {} client connections", name, open);
    }

    private void redispatchHeld() {
        for (Channel ch : held) {
            ch.eventLoop().execute(() -> {
                ClientConnection c = ch.attr(CONNECTION).get();
                if (c != null && held.remove(ch)) {
                    c.dispatch(ch);
                }
            });
        }
    }

    // What a client connection reads and changes of its server's state (ClientConnection, on the client's loop).

    Routing routing() {
        return routing.get();
    }

    boolean routeTrusted() {
        return routeTrusted.getAsBoolean();
    }

    ProxySettings settings() {
        return settings;
    }

    Duration holdTimeout() {
        return holdTimeout;
    }

    Transport transport() {
        return transport;
    }

    PreAuthentication preAuthentication() {
        return preAuth;
    }

    RefusalTls refusalTls() {
        return refusalTls;
    }

    /** The next of {@code routes}, in turn. */
    Route nextRoute(List<Route> routes) {
        return routes.get(Math.floorMod(roundRobin.getAndIncrement(), routes.size()));
    }

    /** {@code client} waits for a routing. */
    void held(Channel client) {
        held.add(client);
    }

    /** Whether {@code client} was waiting (it no longer is). */
    boolean released(Channel client) {
        return held.remove(client);
    }

    /** Client side of a pair: admission, then routing; afterwards relays client bytes to postgres. */
    private final class Frontend extends Relay {
        private ClientConnection connection;
        private boolean first = true; // nothing read yet: a CancelRequest comes alone, as the first bytes

        Frontend() {
            super(null);
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            Channel client = ctx.channel();
            counters.accepted();
            connection = new ClientConnection(ProxyServer.this, this);
            client.attr(CONNECTION).set(connection);
            clients.add(client); // before reading the routing: a change after this point will see it
            if (clients.size() > settings.maxConnections()) {
                connection.refuse(
                        client,
                        PgWire.TOO_MANY_CONNECTIONS,
                        "too many connections to the pgha proxy " + "(proxy.maxConnections = "
                                + settings.maxConnections() + ")");
                return;
            }
            if (!preAuth.admit(client)) {
                connection.refuse(
                        client,
                        PgWire.TOO_MANY_CONNECTIONS,
                        "too many connections from "
                                + PreAuthentication.address(client).getHostAddress()
                                + " are still authenticating (proxy.maxUnauthenticatedPerAddress = "
                                + settings.maxUnauthenticatedPerAddress() + ")");
                return;
            }
            connection.dispatch(client);
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (connection.route != null && !routeTrusted.getAsBoolean()) {
                // Not one byte to a leader that may have been replaced while this process was paused or cut off.
                ReferenceCountUtil.release(msg);
                connection.closeWith(ctx.channel(), "terminating connection: " + UNTRUSTED);
                return;
            }
            if (msg instanceof ByteBuf buf) {
                if (first) {
                    CancelFanout.onFirstRead(
                            ctx.channel(), buf, routing.get(), connection.route, transport, settings.connectTimeout());
                }
                first = false;
                counters.fromClient(buf.readableBytes());
                connection.framing.fromClient(buf);
                connection.countedAuthenticated(ctx.channel());
            }
            super.channelRead(ctx, msg);
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            held.remove(ctx.channel());
            if (connection != null) {
                connection.cancelHold();
            }
            super.channelInactive(ctx);
        }
    }
}
