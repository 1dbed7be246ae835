package dev.pgha.net;

import dev.pgha.common.config.Durations;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.ssl.OptionalSslHandler;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.GlobalEventExecutor;
import io.netty.util.concurrent.ScheduledFuture;
import java.io.Closeable;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import javax.net.ssl.SSLPeerUnverifiedException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A small HTTP/1.1 server for the health-check and metrics endpoints, on Netty's HTTP codec. It is exposed to
 * whatever can reach the node, so it is defensive: request line and headers are size-bounded (a violation gets 400
 * and a close), a request must arrive complete within {@link #REQUEST_DEADLINE} of the connection opening or of the
 * previous answer (slow senders and idle keep-alives are cut off), connections are capped in all and per client
 * address (so health checks from the platform get an answer while one client holds many sockets), and endpoints run
 * off the event loop on a
 * small bounded pool with a deadline of their own, so a hung postgres query cannot stall the server.
 */
public final class HttpService implements Closeable {
    private final AtomicBoolean closed = new AtomicBoolean();
    private static final Logger log = LoggerFactory.getLogger(HttpService.class);
    static final Duration REQUEST_DEADLINE = Duration.ofSeconds(5);
    /** A kept-alive connection may wait this long for its next request. */
    static final Duration IDLE_DEADLINE = Duration.ofSeconds(2);
    /** Open connections per client address: one client holding sockets cannot lock the platform's checks out. */
    static final int MAX_PER_ADDRESS = 32;

    private static final int MAX_INITIAL_LINE = 4096;
    private static final int MAX_HEADERS = 8192;
    private static final int MAX_BODY = 8192;
    private static final int MAX_CONNECTIONS = 1024;
    private static final int WORKERS = 4;
    private static final int QUEUE = 64;
    private static final int ACTION_QUEUE = 4;

    private final String name;
    private final Map<String, Function<HttpRequestInfo, HttpReply>> routes;
    private final Map<String, Function<HttpRequestInfo, HttpReply>> postRoutes;
    private final Map<String, HttpAction> actions; // by "METHOD /path"
    private final Duration endpointDeadline;
    private final EventLoopGroup group;
    private final ExecutorService workers;
    private final ExecutorService actionWorker; // one action at a time, apart from the health checks' workers
    private final ChannelGroup connections = new DefaultChannelGroup("http", GlobalEventExecutor.INSTANCE);
    private final Map<InetAddress, Integer> perAddress = new HashMap<>(); // owned by the one event loop
    private final Channel listener;

    private HttpService(
            String name,
            String host,
            int port,
            Map<String, Function<HttpRequestInfo, HttpReply>> routes,
            Map<String, Function<HttpRequestInfo, HttpReply>> postRoutes,
            Map<String, HttpAction> actions,
            Duration endpointDeadline,
            MemberTls tls)
            throws BindException {
        this.name = name;
        this.routes = Map.copyOf(routes);
        this.postRoutes = Map.copyOf(postRoutes);
        this.actions = Map.copyOf(actions);
        this.endpointDeadline = endpointDeadline;
        this.group = new MultiThreadIoEventLoopGroup(
                1, new DefaultThreadFactory(name + "-http", true), NioIoHandler.newFactory());
        this.workers = new ThreadPoolExecutor(
                WORKERS,
                WORKERS,
                30,
                TimeUnit.SECONDS,
                new LinkedBlockingQueue<>(QUEUE),
                new DefaultThreadFactory(name + "-endpoint", true));
        ((ThreadPoolExecutor) workers).allowCoreThreadTimeOut(true);
        this.actionWorker = new ThreadPoolExecutor(
                1,
                1,
                30,
                TimeUnit.SECONDS,
                new LinkedBlockingQueue<>(ACTION_QUEUE),
                new DefaultThreadFactory(name + "-action", true));
        ((ThreadPoolExecutor) actionWorker).allowCoreThreadTimeOut(true);
        ServerBootstrap b = new ServerBootstrap()
                .group(group)
                .channel(NioServerSocketChannel.class)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        if (tls != null) {
                            // TLS when the client starts with a handshake, plain HTTP (health checks) otherwise
                            ch.pipeline().addLast(new OptionalSslHandler(tls.context()));
                        }
                        ch.pipeline().addLast(new HttpServerCodec(MAX_INITIAL_LINE, MAX_HEADERS, MAX_BODY));
                        ch.pipeline().addLast(new HttpObjectAggregator(MAX_BODY));
                        ch.pipeline().addLast(new Endpoint());
                    }
                });
        try {
            this.listener = Transport.awaitBound(host == null ? b.bind(port) : b.bind(host, port));
        } catch (BindException e) {
            close();
            throw e;
        }
    }

    /**
     * Serves {@code routes} (exact paths) on {@code port} of every address ({@code host} null) or of {@code host};
     * {@code postRoutes} take POST requests (a body of at most 8 KiB) on their paths; {@code actions}, keyed by method
     * and path ("PATCH /config"), run one at a time on a thread of their own with their own deadline. With {@code tls}
     * (null: none),
     * a connection that opens with a TLS handshake is served over TLS (client certificates may be asked for: an
     * endpoint sees whether the client presented one that chains to the CA); plain HTTP goes on as before.
     *
     * @param endpointDeadline an endpoint that has not answered after this long gets 503 instead
     * @throws BindException when the port is taken
     */
    public static HttpService listen(
            String name,
            String host,
            int port,
            Map<String, Function<HttpRequestInfo, HttpReply>> routes,
            Map<String, Function<HttpRequestInfo, HttpReply>> postRoutes,
            Map<String, HttpAction> actions,
            Duration endpointDeadline,
            MemberTls tls)
            throws BindException {
        HttpService s = new HttpService(name, host, port, routes, postRoutes, actions, endpointDeadline, tls);
        log.info("{} HTTP listening on port {}{}", name, s.port(), tls == null ? "" : " (and TLS on the same port)");
        return s;
    }

    /** The client presented a certificate the TLS handshake verified (against the server context's CA). */
    private static boolean peerCertified(ChannelHandlerContext ctx) {
        SslHandler ssl = ctx.pipeline().get(SslHandler.class);
        if (ssl == null) {
            return false;
        }
        try {
            return ssl.engine().getSession().getPeerCertificates().length > 0;
        } catch (SSLPeerUnverifiedException e) {
            return false;
        }
    }

    public int port() {
        return ((InetSocketAddress) listener.localAddress()).getPort();
    }

    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return; // closed already
        }
        if (listener != null) {
            listener.close().awaitUninterruptibly();
        }
        connections.close().awaitUninterruptibly(2, TimeUnit.SECONDS);
        workers.shutdownNow();
        actionWorker.shutdownNow();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(3, TimeUnit.SECONDS);
    }

    /** One connection: answers its requests in order, one at a time. */
    private final class Endpoint extends SimpleChannelInboundHandler<FullHttpRequest> {
        private ScheduledFuture<?> deadline;
        private InetAddress counted; // the client address this connection counts against

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            InetAddress client = ((InetSocketAddress) ctx.channel().remoteAddress()).getAddress();
            if (connections.size() >= MAX_CONNECTIONS || perAddress.getOrDefault(client, 0) >= MAX_PER_ADDRESS) {
                ctx.close(); // too many open connections already (slow or stuck clients)
                return;
            }
            perAddress.merge(client, 1, Integer::sum);
            counted = client;
            connections.add(ctx.channel());
            armDeadline(ctx, REQUEST_DEADLINE);
            ctx.fireChannelActive();
        }

        private void armDeadline(ChannelHandlerContext ctx, Duration after) {
            deadline = ctx.executor().schedule(() -> ctx.close(), after.toMillis(), TimeUnit.MILLISECONDS);
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
            deadline.cancel(false);
            ctx.channel().config().setAutoRead(false); // one request at a time
            boolean keepAlive = HttpUtil.isKeepAlive(request);
            if (request.decoderResult().isFailure()) {
                reply(
                        ctx,
                        HttpMethod.GET,
                        HttpReply.text(
                                400,
                                "bad request: "
                                        + request.decoderResult().cause().getMessage() + "\n"),
                        false);
                return;
            }
            HttpMethod method = request.method();
            QueryStringDecoder uri = new QueryStringDecoder(request.uri());
            HttpAction action = actions.get(method.name() + " " + uri.path());
            boolean post = method.equals(HttpMethod.POST) && postRoutes.containsKey(uri.path());
            if (action == null
                    && !post
                    && !method.equals(HttpMethod.GET)
                    && !method.equals(HttpMethod.HEAD)
                    && !method.equals(HttpMethod.OPTIONS)) {
                reply(ctx, method, HttpReply.text(405, "method not allowed: use GET, HEAD or OPTIONS\n"), false);
                return;
            }
            Function<HttpRequestInfo, HttpReply> route =
                    action != null ? action.handler() : post ? postRoutes.get(uri.path()) : routes.get(uri.path());
            if (route == null) {
                reply(ctx, method, HttpReply.text(404, "not found\n"), keepAlive);
                return;
            }
            byte[] body = null;
            if (post || action != null) {
                body = new byte[request.content().readableBytes()];
                request.content().getBytes(request.content().readerIndex(), body);
            }
            HttpRequestInfo info = new HttpRequestInfo(
                    method.name(),
                    uri.path(),
                    uri.parameters(),
                    body,
                    ctx.pipeline().get(SslHandler.class) != null,
                    peerCertified(ctx),
                    Optional.ofNullable(request.headers().get(HttpHeaderNames.AUTHORIZATION)));
            CompletableFuture<HttpReply> answer;
            try {
                answer =
                        CompletableFuture.supplyAsync(() -> route.apply(info), action != null ? actionWorker : workers);
            } catch (RejectedExecutionException e) {
                reply(ctx, method, HttpReply.text(503, "busy: too many requests at once\n"), false);
                return;
            }
            Duration limit = action != null ? action.deadline() : endpointDeadline;
            answer.orTimeout(limit.toMillis(), TimeUnit.MILLISECONDS).whenComplete((r, failure) -> {
                HttpReply out = r;
                if (failure != null) {
                    Throwable cause = failure instanceof CompletionException ? failure.getCause() : failure;
                    out = cause instanceof TimeoutException
                            ? HttpReply.text(503, "no answer within " + Durations.format(limit) + "\n")
                            : HttpReply.text(500, "internal error: " + cause + "\n");
                    if (!(cause instanceof TimeoutException)) {
                        log.warn("{} {} failed: {}", name, info.path(), cause.toString());
                    }
                }
                HttpReply reply = out;
                ctx.executor().execute(() -> reply(ctx, method, reply, keepAlive));
            });
        }

        private void reply(ChannelHandlerContext ctx, HttpMethod method, HttpReply r, boolean keepAlive) {
            if (!ctx.channel().isActive()) {
                return;
            }
            byte[] body = r.body().getBytes(StandardCharsets.UTF_8);
            boolean withBody = !method.equals(HttpMethod.HEAD) && !method.equals(HttpMethod.OPTIONS);
            ByteBuf content = withBody ? Unpooled.wrappedBuffer(body) : Unpooled.EMPTY_BUFFER;
            FullHttpResponse response =
                    new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.valueOf(r.status()), content);
            response.headers().set(HttpHeaderNames.CONTENT_TYPE, r.contentType());
            response.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, withBody ? body.length : 0);
            response.headers().set(HttpHeaderNames.CACHE_CONTROL, "no-store");
            response.headers().set("X-Content-Type-Options", "nosniff");
            if (method.equals(HttpMethod.OPTIONS)) {
                response.headers().set(HttpHeaderNames.ALLOW, "GET, HEAD, OPTIONS");
            }
            if (keepAlive) {
                response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
                ctx.writeAndFlush(response).addListener(f -> {
                    if (ctx.channel().isActive()) {
                        armDeadline(ctx, IDLE_DEADLINE);
                        ctx.channel().config().setAutoRead(true);
                    }
                });
            } else {
                response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
                ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            if (deadline != null) {
                deadline.cancel(false);
            }
            if (counted != null) {
                perAddress.computeIfPresent(counted, (a, n) -> n > 1 ? n - 1 : null);
                counted = null;
            }
            ctx.fireChannelInactive();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            log.debug("{} HTTP connection {} failed: {}", name, ctx.channel(), cause.toString());
            ctx.close();
        }
    }
}
