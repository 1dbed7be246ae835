package dev.pgha.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.pgha.common.PghaException;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioChannelOption;
import io.netty.channel.uring.IoUring;
import io.netty.channel.uring.IoUringChannelOption;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import jdk.net.ExtendedSocketOptions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Each transport the proxy may run on carries bytes both ways, with keepalive tuned on both ends. */
class TransportTest {
    private SavedProperties saved;

    @BeforeAll
    static void asTheDaemonStarts() {
        NettyDefaults.apply(); // before Netty's io_uring classes load, as Main does
    }

    @BeforeEach
    void remember() {
        saved = new SavedProperties(Transport.PROPERTY);
    }

    @AfterEach
    void restore() {
        saved.restore();
    }

    /**
     * The machine's I/O pressure (/proc/pressure/io, "some") while an idle event loop of the transport the daemon
     * chooses waits, against an idle epoll loop's, a second each, three times alternately (the medians compared): an
     * io_uring loop whose waits count as I/O wait keeps it at 100% on its own, which pgha's vm check reads
     * (health.maxPressurePercent).
     */
    @Test
    void anIdleEventLoopAddsNoIoPressure() throws Exception {
        Path pressure = Path.of("/proc/pressure/io");
        assumeTrue(Files.isReadable(pressure), "no /proc/pressure/io here (a kernel without PSI)");
        assumeTrue(Epoll.isAvailable(), "epoll is not available here");
        System.clearProperty(Transport.PROPERTY);
        Transport chosen = Transport.best();
        System.setProperty(Transport.PROPERTY, "epoll");
        Transport epoll = Transport.best();
        List<Long> chosenMicros = new ArrayList<>();
        List<Long> epollMicros = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            chosenMicros.add(ioWaitWhileIdle(chosen, pressure));
            epollMicros.add(ioWaitWhileIdle(epoll, pressure));
        }
        Collections.sort(chosenMicros);
        Collections.sort(epollMicros);
        assertThat(chosenMicros.get(1) - epollMicros.get(1))
                .as(chosen.name() + " " + chosenMicros + " against epoll " + epollMicros + " us of a second")
                .isLessThan(500_000);
    }

    /** Microseconds of the next second in which some task waited for I/O, while {@code t}'s loop idles. */
    private static long ioWaitWhileIdle(Transport t, Path pressure) throws Exception {
        EventLoopGroup group = t.newGroup(1, "transport-idle");
        try {
            group.submit(() -> {}).syncUninterruptibly(); // the loop runs, and waits for work
            long before = someTotal(pressure);
            Thread.sleep(1000);
            return someTotal(pressure) - before;
        } finally {
            group.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS).syncUninterruptibly();
        }
    }

    private static long someTotal(Path pressure) throws Exception {
        Matcher m = Pattern.compile("(?m)^some .*total=(\\d+)$").matcher(Files.readString(pressure));
        assertThat(m.find()).isTrue();
        return Long.parseLong(m.group(1));
    }

    @Test
    void unsetTakesTheBestTheMachineRuns() {
        System.clearProperty(Transport.PROPERTY);
        String expected = IoUring.isAvailable() && IoUring.isIoringEnterNoIoWaitEnabled()
                ? "io_uring"
                : Epoll.isAvailable() ? "epoll" : "nio";
        assertThat(Transport.best().name()).isEqualTo(expected);
    }

    @Test
    void anUnknownChoiceNamesThePropertyAndTheChoices() {
        System.setProperty(Transport.PROPERTY, "kqueue");
        assertThatThrownBy(Transport::best)
                .isInstanceOf(PghaException.class)
                .hasMessage("-Dpgha.transport=kqueue is not a transport: use io_uring, epoll or nio, or leave it unset "
                        + "(the best this machine runs)");
    }

    @ParameterizedTest
    @ValueSource(strings = {"io_uring", "epoll", "nio"})
    void relaysBytesWithKeepaliveOnBothEnds(String name) throws Exception {
        assumeTrue(
                !name.equals("io_uring") || IoUring.isAvailable(),
                () -> "io_uring is not available here: " + IoUring.unavailabilityCause());
        assumeTrue(!name.equals("epoll") || Epoll.isAvailable(), "epoll is not available here");
        System.setProperty(Transport.PROPERTY, name);
        Transport transport = Transport.best();
        assertThat(transport.name()).isEqualTo(name);
        EventLoopGroup group = transport.newGroup(1, "transport-test");
        CompletableFuture<SocketChannel> accepted = new CompletableFuture<>();
        try {
            ServerBootstrap server = new ServerBootstrap()
                    .group(group)
                    .channel(transport.serverChannel())
                    .childHandler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            accepted.complete(ch);
                            ch.pipeline().addLast(new ChannelInboundHandlerAdapter() {
                                @Override
                                public void channelRead(ChannelHandlerContext ctx, Object msg) {
                                    ctx.writeAndFlush(msg); // echo
                                }
                            });
                        }
                    });
            transport.keepalive(server, true);
            Channel listener = Transport.awaitBound(server.bind("127.0.0.1", 0));
            CompletableFuture<String> echoed = new CompletableFuture<>();
            Bootstrap client = new Bootstrap()
                    .group(group)
                    .channel(transport.socketChannel())
                    .handler(new ChannelInboundHandlerAdapter() {
                        @Override
                        public void channelRead(ChannelHandlerContext ctx, Object msg) {
                            ByteBuf b = (ByteBuf) msg;
                            echoed.complete(b.toString(StandardCharsets.US_ASCII));
                            b.release();
                        }
                    });
            transport.keepalive(client, false);
            int port = ((InetSocketAddress) listener.localAddress()).getPort();
            Channel c = client.connect("127.0.0.1", port).syncUninterruptibly().channel();
            c.writeAndFlush(Unpooled.copiedBuffer("ping", StandardCharsets.US_ASCII));
            assertThat(echoed.get(10, TimeUnit.SECONDS)).isEqualTo("ping");
            SocketChannel child = accepted.get(10, TimeUnit.SECONDS);
            for (Channel ch : new Channel[] {child, c}) {
                assertThat(ch.config().getOption(ChannelOption.SO_KEEPALIVE)).isTrue();
                assertThat(keepIdle(name, ch)).isEqualTo(60);
            }
            c.close().syncUninterruptibly();
            listener.close().syncUninterruptibly();
        } finally {
            group.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS).syncUninterruptibly();
        }
    }

    private static Integer keepIdle(String transport, Channel ch) {
        return switch (transport) {
            case "io_uring" -> ch.config().getOption(IoUringChannelOption.TCP_KEEPIDLE);
            case "epoll" -> ch.config().getOption(EpollChannelOption.TCP_KEEPIDLE);
            default -> ch.config().getOption(NioChannelOption.of(ExtendedSocketOptions.TCP_KEEPIDLE));
        };
    }
}
