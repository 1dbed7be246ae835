package dev.pgha.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.ssl.SslContext;
import io.netty.util.ReferenceCountUtil;
import java.util.Optional;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Refuses a client the way postgres would: reads its opening packets (answering one SSLRequest with TLS when the node
 * has a certificate, else 'N', "not supported here, go on in plain text", and one GSSENCRequest with 'N'), then replies to the startup message with a FATAL
 * ErrorResponse and closes. Anything that is not the protocol, a second request of the same kind, a client that does
 * not read the answers, or one that takes too long, just closes this one connection. It keeps at most one opening
 * packet: what a refused client can make the proxy hold is bounded whatever it sends.
 */
final class StartupRefusal extends ChannelInboundHandlerAdapter {
    private static final long READ_TIMEOUT_SECONDS = 10;

    private final String sqlState;
    private final String message;
    private final RefusalTls tls; // null: SSLRequests are answered 'N'
    private ByteBuf pending;
    private ScheduledFuture<?> timeout;
    private boolean done;
    private boolean sslAnswered;
    private boolean gssAnswered;

    StartupRefusal(String sqlState, String message, RefusalTls tls) {
        this.sqlState = sqlState;
        this.message = message;
        this.tls = tls;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        pending = ctx.alloc().buffer(64);
        timeout = ctx.executor().schedule(() -> finish(ctx, false), READ_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        ctx.channel().config().setAutoRead(true);
        ctx.read();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        try {
            if (!done && msg instanceof ByteBuf in) {
                if (pending.readableBytes() + in.readableBytes() > PgWire.MAX_STARTUP_PACKET + 8L) {
                    finish(ctx, false); // more than any opening packet: not a client to answer
                    return;
                }
                pending.writeBytes(in);
                parse(ctx);
                if (pending != null) {
                    pending.discardReadBytes();
                }
            }
        } finally {
            ReferenceCountUtil.release(msg);
        }
    }

    private void parse(ChannelHandlerContext ctx) {
        while (!done && pending.readableBytes() >= 8) {
            int length = pending.getInt(pending.readerIndex());
            if (length < 8 || length > PgWire.MAX_STARTUP_PACKET) {
                finish(ctx, false); // not the postgres protocol
                return;
            }
            if (pending.readableBytes() < length) {
                return;
            }
            int code = pending.getInt(pending.readerIndex() + 4);
            pending.skipBytes(length);
            if (code == PgWire.SSL_REQUEST || code == PgWire.GSSENC_REQUEST) {
                boolean ssl = code == PgWire.SSL_REQUEST;
                if ((ssl ? sslAnswered : gssAnswered) || !ctx.channel().isWritable()) {
                    finish(ctx, false); // a client asks once; one that repeats, or does not read, is not one
                    return;
                }
                if (ssl) {
                    sslAnswered = true;
                } else {
                    gssAnswered = true;
                }
                Optional<SslContext> context = ssl && tls != null ? tls.context() : Optional.empty();
                if (context.isPresent() && !pending.isReadable()) {
                    // TLS, as postgres would: the refusal then reaches a client that requires it
                    ctx.writeAndFlush(Unpooled.wrappedBuffer(new byte[] {'S'}));
                    ctx.pipeline().addFirst("tls", context.get().newHandler(ctx.alloc()));
                    return;
                }
                ctx.writeAndFlush(Unpooled.wrappedBuffer(new byte[] {'N'}));
            } else if (code == PgWire.CANCEL_REQUEST) {
                finish(ctx, false); // nothing to cancel here
            } else {
                finish(ctx, true); // a startup message (any protocol version gets the v3 error, as postgres does)
            }
        }
    }

    private void finish(ChannelHandlerContext ctx, boolean answer) {
        if (done) {
            return;
        }
        done = true;
        if (timeout != null) {
            timeout.cancel(false);
        }
        ctx.channel().config().setAutoRead(false); // nothing more is read from a connection being closed
        if (answer) {
            ctx.writeAndFlush(PgWire.fatal(ctx.alloc(), sqlState, message)).addListener(ChannelFutureListener.CLOSE);
        } else {
            ctx.close();
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        done = true;
        if (timeout != null) {
            timeout.cancel(false);
        }
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        if (pending != null) {
            pending.release();
            pending = null;
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        done = true;
        ctx.close();
    }
}
