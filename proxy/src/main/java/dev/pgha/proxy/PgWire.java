package dev.pgha.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.nio.charset.StandardCharsets;

/**
 * The few pieces of the PostgreSQL wire protocol the proxy speaks itself: recognising the untyped packets a client
 * opens with, and writing an ErrorResponse so that drivers show a meaningful error (and pools retry) instead of a
 * bare connection reset.
 */
final class PgWire {
    static final int SSL_REQUEST = 80877103;
    static final int GSSENC_REQUEST = 80877104;
    static final int CANCEL_REQUEST = 80877102;
    static final int PROTOCOL_3 = 196608;
    /** postgres refuses startup packets longer than this. */
    static final int MAX_STARTUP_PACKET = 10_000;

    /** SQLSTATE cannot_connect_now: no leader to connect to (yet). */
    static final String CANNOT_CONNECT_NOW = "57P03";
    /** SQLSTATE admin_shutdown: the connection is closed because the leader changed. */
    static final String ADMIN_SHUTDOWN = "57P01";
    /** SQLSTATE too_many_connections. */
    static final String TOO_MANY_CONNECTIONS = "53300";

    private PgWire() {}

    /** A FATAL ErrorResponse message ('E'). */
    static ByteBuf fatal(ByteBufAllocator alloc, String sqlState, String message) {
        ByteBuf b = alloc.buffer(64 + message.length() * 3);
        b.writeByte('E');
        int lengthAt = b.writerIndex();
        b.writeInt(0);
        field(b, 'S', "FATAL");
        field(b, 'V', "FATAL");
        field(b, 'C', sqlState);
        field(b, 'M', message);
        b.writeByte(0);
        b.setInt(lengthAt, b.writerIndex() - lengthAt);
        return b;
    }

    private static void field(ByteBuf b, char type, String value) {
        b.writeByte(type);
        b.writeBytes(value.replace('\0', ' ').getBytes(StandardCharsets.UTF_8));
        b.writeByte(0);
    }
}
