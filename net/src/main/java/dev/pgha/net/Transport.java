package dev.pgha.net;

import dev.pgha.common.PghaException;
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
import io.netty.channel.uring.IoUring;
import io.netty.channel.uring.IoUringChannelOption;
import io.netty.channel.uring.IoUringIoHandler;
import io.netty.channel.uring.IoUringServerSocketChannel;
import io.netty.channel.uring.IoUringSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.net.BindException;
import java.net.InetAddress;
import jdk.net.ExtendedSocketOptions;

/**
 * Native io_uring where the kernel allows it and can leave its waits out of I/O wait ({@link NettyDefaults}), else
 * native epoll (Linux), else NIO; each with TCP keepalive tuned to find half-open peers. {@code
 * -Dpgha.transport=io_uring|epoll|nio} chooses one (to compare them); a choice the machine cannot run is an error that
 * says why.
 */
public record Transport(
        String name,
        IoHandlerFactory ioHandlerFactory,
        Class<? extends ServerChannel> serverChannel,
        Class<? extends SocketChannel> socketChannel) {
    /** The JVM property that chooses the transport. */
    public static final String PROPERTY = "pgha.transport";

    /** A dead peer is noticed after about 60 s idle + 6 probes 10 s apart. */
    private static final int KEEPALIVE_IDLE_SECONDS = 60;

    private static final int KEEPALIVE_INTERVAL_SECONDS = 10;
    private static final int KEEPALIVE_PROBES = 6;

    public static Transport best() {
        String chosen = System.getProperty(PROPERTY, "").strip();
        return switch (chosen) {
            case "" -> ioUringFits() ? ioUring() : Epoll.isAvailable() ? epoll() : nio();
            case "io_uring" -> {
                require(chosen, IoUring.isAvailable(), IoUring.unavailabilityCause());
                yield ioUring();
            }
            case "epoll" -> {
                require(chosen, Epoll.isAvailable(), Epoll.unavailabilityCause());
                yield epoll();
            }
            case "nio" -> nio();
            default ->
                throw new PghaException(
                        "-D" + PROPERTY + "=" + chosen
                                + " is not a transport: use io_uring, epoll or nio, or leave it unset (the best this machine runs)");
        };
    }

    /**
     * io_uring runs here, and its waits are not counted as I/O wait: otherwise the proxy's idle event loops would keep
     * the machine's I/O pressure near 100%, which pgha's vm check and the operator's monitoring read.
     */
    static boolean ioUringFits() {
        initializeInetAddress();
        return IoUring.isAvailable() && IoUring.isIoringEnterNoIoWaitEnabled();
    }

    /**
     * Netty's io_uring library, as the JVM loads it (holding the JVM's lock on native libraries), initializes a class
     * that needs {@link InetAddress}; InetAddress's own initialization loads a native library too. A thread that
     * loaded the transport while another initialized InetAddress waited for it forever, and that one for the lock:
     * a witness, whose start-up warms the transport up in the background while it checks its ports, never got
     * further (QuorumAuthIT). InetAddress is made ready first, on the loading thread.
     */
    private static void initializeInetAddress() {
        InetAddress.getLoopbackAddress();
    }

    private static void require(String chosen, boolean available, Throwable cause) {
        if (!available) {
            throw new PghaException("-D" + PROPERTY + "=" + chosen + ": " + chosen + " is not available here (" + cause
                    + "); choose another transport, or leave it unset (the best this machine runs)");
        }
    }

    private static Transport ioUring() {
        return new Transport(
                "io_uring",
                IoUringIoHandler.newFactory(),
                IoUringServerSocketChannel.class,
                IoUringSocketChannel.class);
    }

    private static Transport epoll() {
        return new Transport(
                "epoll", EpollIoHandler.newFactory(), EpollServerSocketChannel.class, EpollSocketChannel.class);
    }

    private static Transport nio() {
        return new Transport("nio", NioIoHandler.newFactory(), NioServerSocketChannel.class, NioSocketChannel.class);
    }

    /**
     * Loads what {@link #best} needs, ahead of it on another thread: Netty's native libraries and their platform
     * probes take 30-130 ms of the first listener's set-up here, once per JVM.
     */
    public static void warmUp() {
        if (!ioUringFits()) { // InetAddress is initialized before any native library is loaded here
            Epoll.isAvailable();
        }
    }

    public EventLoopGroup newGroup(int threads, String name) {
        return new MultiThreadIoEventLoopGroup(threads, new DefaultThreadFactory(name, true), ioHandlerFactory);
    }

    /** Applies keepalive to child (server side) or client channels. */
    public void keepalive(AbstractBootstrap<?, ?> b, boolean child) {
        if (name.equals("io_uring")) {
            option(b, child, ChannelOption.SO_KEEPALIVE, true);
            option(b, child, IoUringChannelOption.TCP_KEEPIDLE, KEEPALIVE_IDLE_SECONDS);
            option(b, child, IoUringChannelOption.TCP_KEEPINTVL, KEEPALIVE_INTERVAL_SECONDS);
            option(b, child, IoUringChannelOption.TCP_KEEPCNT, KEEPALIVE_PROBES);
        } else if (name.equals("epoll")) {
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
