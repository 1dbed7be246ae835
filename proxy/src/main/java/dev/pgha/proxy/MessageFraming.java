package dev.pgha.proxy;

import io.netty.buffer.ByteBuf;

/**
 * Follows the message boundaries of one connection's postgres protocol streams, so the proxy can end a connection
 * with a proper ErrorResponse between two server messages rather than cutting one in half.
 *
 * <p>Client to server: untyped opening packets (length, code); each SSLRequest/GSSENCRequest is answered by the
 * server with a single unframed byte. Server to client: typed messages (1 type byte, 4 length bytes including
 * themselves). An encrypted stream (the server said 'S' or 'G') or anything malformed cannot be followed: the
 * connection is then never "at a boundary" and gets a plain close. Owned by the connection's event loop.
 */
final class MessageFraming {
    // client side: the opening packets
    private final byte[] clientHead = new byte[8];
    private int clientHeadBytes;
    private long clientSkip;
    private boolean clientDone;
    private int negotiationsPending;

    // server side: typed messages
    private final byte[] serverHead = new byte[5];
    private int serverHeadBytes;
    private long serverSkip;
    private boolean lost;

    /** Bytes the client sent (observe before forwarding). */
    void fromClient(ByteBuf buf) {
        int i = buf.readerIndex();
        int end = buf.writerIndex();
        while (!clientDone && i < end) {
            if (clientSkip > 0) {
                int n = (int) Math.min(clientSkip, end - i);
                clientSkip -= n;
                i += n;
                continue;
            }
            clientHead[clientHeadBytes++] = buf.getByte(i++);
            if (clientHeadBytes == 8) {
                clientHeadBytes = 0;
                int length = readInt(clientHead, 0);
                int code = readInt(clientHead, 4);
                if (length < 8) {
                    lost = true;
                    clientDone = true;
                } else if (code == PgWire.SSL_REQUEST || code == PgWire.GSSENC_REQUEST) {
                    negotiationsPending++;
                    clientSkip = length - 8L;
                } else {
                    clientDone = true; // the startup message (or a cancel request): nothing more to follow here
                }
            }
        }
    }

    /** Bytes the server sent (observe before forwarding). */
    void fromServer(ByteBuf buf) {
        int i = buf.readerIndex();
        int end = buf.writerIndex();
        while (!lost && i < end) {
            if (negotiationsPending > 0 && serverHeadBytes == 0 && serverSkip == 0) {
                byte answer = buf.getByte(i++);
                negotiationsPending--;
                if (answer != 'N') {
                    lost = true; // 'S'/'G': encryption follows, which this proxy cannot see into
                }
                continue;
            }
            if (serverSkip > 0) {
                int n = (int) Math.min(serverSkip, end - i);
                serverSkip -= n;
                i += n;
                continue;
            }
            serverHead[serverHeadBytes++] = buf.getByte(i++);
            if (serverHeadBytes == 5) {
                serverHeadBytes = 0;
                int length = readInt(serverHead, 1);
                if (length < 4) {
                    lost = true;
                } else {
                    serverSkip = length - 4L;
                }
            }
        }
    }

    /** True when everything the server sent so far ends with a complete message. */
    boolean atServerMessageBoundary() {
        return !lost && clientDone && negotiationsPending == 0 && serverHeadBytes == 0 && serverSkip == 0;
    }

    private static int readInt(byte[] b, int at) {
        return (b[at] & 0xff) << 24 | (b[at + 1] & 0xff) << 16 | (b[at + 2] & 0xff) << 8 | b[at + 3] & 0xff;
    }
}
