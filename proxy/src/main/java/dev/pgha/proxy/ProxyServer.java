package dev.pgha.proxy;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.util.AttributeKey;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.io.Closeable;
import java.net.BindException;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The client-facing TCP proxy: every accepted connection is relayed to the current {@link Route}. When the leader
 * changes (or there is none) every client connection to the old leader is closed, and new connections are refused
 * until a leader is published. The listener itself never depends on the store.
 */
public final class ProxyServer implements Closeable {
    private static final Logger log = LoggerFactory.getLogger(ProxyServer.class);
    private static final AttributeKey<Route> ROUTE = AttributeKey.valueOf("pgha.route");

    private final Transport transport;
    private final EventLoopGroup group;
    private final Duration connectTimeout;
    private final ChannelGroup clients = new DefaultChannelGroup("clients", GlobalEventExecutor.INSTANCE);
    private final AtomicReference<Route> route = new AtomicReference<>();
    private final List<Consumer<Optional<Route>>> routeListeners = new CopyOnWriteArrayList<>();
    private final Channel listener;

    private ProxyServer(Transport transport, EventLoopGroup group, Duration connectTimeout, int port)
            throws BindException {
        this.transport = transport;
        this.group = group;
        this.connectTimeout = connectTimeout;
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
        ChannelFuture bound = b.bind(port).awaitUninterruptibly();
        if (!bound.isSuccess()) {
            if (bound.cause() instanceof BindException be) {
                throw be;
            }
            BindException be = new BindException(String.valueOf(bound.cause()));
            be.initCause(bound.cause());
            throw be;
        }
        this.listener = bound.channel();
    }

    /**
     * Listens on {@code port} (all addresses; 0 = any free port).
     *
     * @param threads event loop threads; 0 = one per core
     * @throws BindException when the port is taken
     */
    public static ProxyServer listen(int port, Duration connectTimeout, int threads) throws BindException {
        Transport transport = Transport.best();
        int n = threads > 0 ? threads : Runtime.getRuntime().availableProcessors();
        EventLoopGroup group = transport.newGroup(n, "proxy");
        try {
            ProxyServer server = new ProxyServer(transport, group, connectTimeout, port);
            log.info("listening on port {} ({} transport, {} event loops); no leader yet, refusing clients",
                    port, transport.name(), n);
            return server;
        } catch (BindException | RuntimeException e) {
            group.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS);
            throw e;
        }
    }

    /** Sets where new connections go; closes connections to a leader that is no longer the route. */
    public void route(Optional<Route> next) {
        Route previous = route.getAndSet(next.orElse(null));
        if (next.isPresent() && next.get().sameLeader(previous)) {
            return;
        }
        int closed = 0;
        for (Channel ch : clients) {
            Route r = ch.attr(ROUTE).get();
            if (r != null && !r.sameLeader(next.orElse(null))) {
                ch.close();
                closed++;
            }
        }
        if (next.isPresent()) {
            log.info("routing clients to {}{}", next.get(), closed > 0 ? "; closed " + closed + " connections to the old leader" : "");
        } else if (previous != null) {
            log.warn("no leader: refusing new clients{}", closed > 0 ? "; closed " + closed + " connections" : "");
        }
        routeListeners.forEach(l -> l.accept(next));
    }

    public Optional<Route> currentRoute() {
        return Optional.ofNullable(route.get());
    }

    /** Called (on the routing thread) after every change of leader. */
    public void onRouteChange(Consumer<Optional<Route>> listener) {
        routeListeners.add(listener);
    }

    /** The port it listens on (useful after {@code listen(0, ...)}). */
    public int port() {
        return ((java.net.InetSocketAddress) listener.localAddress()).getPort();
    }

    public int clientConnections() {
        return clients.size();
    }

    /** Stops accepting; existing connections continue until {@link #close()}. */
    public void stopAccepting() {
        listener.close().awaitUninterruptibly();
    }

    @Override
    public void close() {
        stopAccepting();
        int open = clients.size();
        clients.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
        log.info("stopped; closed {} client connections", open);
    }

    /** Client side of a pair: connects to the route's backend when the client connects. */
    private final class Frontend extends Relay {
        Frontend() {
            super(null);
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            Channel client = ctx.channel();
            clients.add(client); // before reading the route: a route change after this point will see it
            Route r = route.get();
            if (r == null) {
                client.close();
                return;
            }
            client.attr(ROUTE).set(r);
            Bootstrap b = new Bootstrap()
                    .group(client.eventLoop())
                    .channel(transport.socketChannel())
                    .option(ChannelOption.AUTO_READ, false)
                    .option(ChannelOption.TCP_NODELAY, true)
                    .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) connectTimeout.toMillis())
                    .handler(new Relay(client));
            transport.keepalive(b, false);
            ChannelFuture connect = b.connect(r.host(), r.port());
            peer = connect.channel();
            connect.addListener(f -> {
                if (f.isSuccess() && client.isActive()) {
                    client.config().setAutoRead(true);
                    connect.channel().config().setAutoRead(true);
                } else {
                    if (!f.isSuccess()) {
                        log.debug("cannot reach the leader {}: {}", r, f.cause().toString());
                    }
                    connect.channel().close();
                    client.close();
                }
            });
        }
    }
}
