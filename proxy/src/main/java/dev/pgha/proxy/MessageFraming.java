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
    private boolean readyForQuery;

    // client side once the server accepted TLS: record headers (type, version, length) only
    private static final int TLS_APPLICATION_DATA = 23;
    private boolean clientTls;
    private final byte[] tlsHead = new byte[5];
    private int tlsHeadBytes;
    private long tlsSkip;
    private int tlsApplicationRecords;

    /** Bytes the client sent (observe before forwarding). */
    void fromClient(ByteBuf buf) {
        int i = buf.readerIndex();
        int end = buf.writerIndex();
        if (clientTls) {
            countTlsRecords(buf, i, end);
            return;
        }
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
                    clientTls = answer == 'S' && negotiationsPending == 0;
                    clientDone = true;
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
                readyForQuery |= serverHead[0] == 'Z';
                int length = readInt(serverHead, 1);
                if (length < 4) {
                    lost = true;
                } else {
                    serverSkip = length - 4L;
                }
            }
        }
    }

    /**
     * The session is (about to be) authenticated: the server sent a ReadyForQuery (an unencrypted session), or, inside
     * TLS, the client has sent its fourth application-data record (TLS 1.3: Finished, StartupMessage, the two SCRAM
     * messages). A client that sends records that are not real TLS gets nothing for it: postgres drops the connection
     * at the first record it cannot decrypt.
     */
    boolean authenticated() {
        return readyForQuery || tlsApplicationRecords >= 4;
    }

    private void countTlsRecords(ByteBuf buf, int from, int end) {
        int i = from;
        while (i < end && tlsApplicationRecords < 4) {
            if (tlsSkip > 0) {
                int n = (int) Math.min(tlsSkip, end - i);
                tlsSkip -= n;
                i += n;
                continue;
            }
            tlsHead[tlsHeadBytes++] = buf.getByte(i++);
            if (tlsHeadBytes == 5) {
                tlsHeadBytes = 0;
                if (tlsHead[0] == TLS_APPLICATION_DATA) {
                    tlsApplicationRecords++;
                }
                tlsSkip = (tlsHead[3] & 0xff) << 8 | tlsHead[4] & 0xff;
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
