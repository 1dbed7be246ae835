package dev.pgha.net;

import io.netty.bootstrap.AbstractBootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioChannelOption;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.net.BindException;
import jdk.net.ExtendedSocketOptions;

/** Native epoll where available (Linux), NIO otherwise; both with TCP keepalive tuned to find half-open peers. */
public record Transport(
        String name,
        IoHandlerFactory ioHandlerFactory,
        Class<? extends ServerChannel> serverChannel,
        Class<? extends SocketChannel> socketChannel) {
    /** A dead peer is noticed after about 60 s idle + 6 probes 10 s apart. */
    private static final int KEEPALIVE_IDLE_SECONDS = 60;

    private static final int KEEPALIVE_INTERVAL_SECONDS = 10;
    private static final int KEEPALIVE_PROBES = 6;

    public static Transport best() {
        if (Epoll.isAvailable()) {
            return new Transport(
                    "epoll", EpollIoHandler.newFactory(), EpollServerSocketChannel.class, EpollSocketChannel.class);
        }
        return new Transport("nio", NioIoHandler.newFactory(), NioServerSocketChannel.class, NioSocketChannel.class);
    }

    /**
     * Loads what {@link #best} needs, ahead of it on another thread: Netty's native epoll library and its platform
     * probes take 30-130 ms of the first listener's set-up here, once per JVM.
     */
    public static void warmUp() {
        Epoll.isAvailable();
    }

    public EventLoopGroup newGroup(int threads, String name) {
        return new MultiThreadIoEventLoopGroup(threads, new DefaultThreadFactory(name, true), ioHandlerFactory);
    }

    /** Applies keepalive to child (server side) or client channels. */
    public void keepalive(AbstractBootstrap<?, ?> b, boolean child) {
        if (name.equals("epoll")) {
            option(b, child, ChannelOption.SO_KEEPALIVE, true);
            option(b, child, EpollChannelOption.TCP_KEEPIDLE, KEEPALIVE_IDLE_SECONDS);
            option(b, child, EpollChannelOption.TCP_KEEPINTVL, KEEPALIVE_INTERVAL_SECONDS);
            option(b, child, EpollChannelOption.TCP_KEEPCNT, KEEPALIVE_PROBES);
        } else {
            option(b, child, ChannelOption.SO_KEEPALIVE, true);
            option(b, child, NioChannelOption.of(ExtendedSocketOptions.TCP_KEEPIDLE), KEEPALIVE_IDLE_SECONDS);
            option(b, child, NioChannelOption.of(ExtendedSocketOptions.TCP_KEEPINTERVAL), KEEPALIVE_INTERVAL_SECONDS);
            option(b, child, NioChannelOption.of(ExtendedSocketOptions.TCP_KEEPCOUNT), KEEPALIVE_PROBES);
        }
    }

    private static <T> void option(AbstractBootstrap<?, ?> b, boolean child, ChannelOption<T> option, T value) {
        if (child) {
            ((ServerBootstrap) b).childOption(option, value);
        } else {
            b.option(option, value);
        }
    }

    /** Waits for a bind: the listening channel, or a BindException for any failure (the cause kept). */
    public static Channel awaitBound(ChannelFuture bind) throws BindException {
        bind.awaitUninterruptibly();
        if (bind.isSuccess()) {
            return bind.channel();
        }
        if (bind.cause() instanceof BindException be) {
            throw be;
        }
        BindException be = new BindException(String.valueOf(bind.cause()));
        be.initCause(bind.cause());
        throw be;
    }
}
