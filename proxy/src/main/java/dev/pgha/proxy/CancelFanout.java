package dev.pgha.proxy;

import dev.pgha.net.Transport;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import java.time.Duration;
import java.util.List;

/**
 * CancelRequests on a port that spreads clients over several servers (the read-only port). A CancelRequest names the
 * backend by its process id and secret key, which only the server that issued them knows; the proxy cannot read them
 * from the session (it is usually encrypted end to end), so the request goes to every destination: only the server
 * whose backend holds that key cancels anything, and the others ignore it, as postgres does with a wrong key.
 */
final class CancelFanout {
    static final int LENGTH = 16;

    private CancelFanout() {}

    /**
     * {@code first}, a connection's first bytes, relayed to {@code own}: when they are a CancelRequest and
     * {@code routing} has other destinations, they get it too.
     */
    static void onFirstRead(
            Channel client, ByteBuf first, Routing routing, Route own, Transport transport, Duration timeout) {
        if (routing instanceof Routing.To to && isCancelRequest(first)) {
            List<Route> others =
                    to.routes().stream().filter(r -> !r.sameLeader(own)).toList();
            send(client.eventLoop(), transport, first, others, timeout);
        }
    }

    /** {@code first} (the connection's first bytes) is a whole CancelRequest. */
    static boolean isCancelRequest(ByteBuf first) {
        int i = first.readerIndex();
        return first.readableBytes() == LENGTH
                && first.getInt(i) == LENGTH
                && first.getInt(i + 4) == PgWire.CANCEL_REQUEST;
    }

    /** Sends a copy of {@code request} to each of {@code others}, then closes, as libpq does with a cancel. */
    static void send(EventLoop loop, Transport transport, ByteBuf request, List<Route> others, Duration timeout) {
        for (Route r : others) {
            ByteBuf copy = request.retainedDuplicate();
            Bootstrap b = new Bootstrap()
                    .group(loop)
                    .channel(transport.socketChannel())
                    .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) timeout.toMillis())
                    .handler(new ChannelInboundHandlerAdapter());
            b.connect(r.host(), r.port()).addListener((ChannelFutureListener) f -> {
                if (f.isSuccess()) {
                    f.channel().writeAndFlush(copy).addListener(ChannelFutureListener.CLOSE);
                } else {
                    copy.release();
                }
            });
        }
    }
}
