package dev.pgha.postgres;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketAddress;
import javax.net.SocketFactory;

/**
 * The sockets of pgha's own postgres connections (pgjdbc's {@code socketFactory}): they watch the server's side of
 * the start-up exchange and end the connection when the server asks for the password in cleartext or as an MD5 hash,
 * before pgjdbc could answer. pgha's postgres always asks for SCRAM-SHA-256, which proves the password without
 * sending it; a server that asks otherwise is not one of pgha's (a store entry pointing elsewhere, a hijacked
 * address), and it gets nothing. After AuthenticationOk the stream is passed through untouched.
 */
public final class PasswordGuardSocketFactory extends SocketFactory {
    private static final int AUTH_CLEARTEXT = 3;
    private static final int AUTH_MD5 = 5;
    private static final int AUTH_OK = 0;

    @Override
    public Socket createSocket() {
        return new GuardedSocket();
    }

    @Override
    public Socket createSocket(String host, int port) throws IOException {
        return connected(new InetSocketAddress(host, port), null);
    }

    @Override
    public Socket createSocket(String host, int port, InetAddress localHost, int localPort) throws IOException {
        return connected(new InetSocketAddress(host, port), new InetSocketAddress(localHost, localPort));
    }

    @Override
    public Socket createSocket(InetAddress host, int port) throws IOException {
        return connected(new InetSocketAddress(host, port), null);
    }

    @Override
    public Socket createSocket(InetAddress address, int port, InetAddress localAddress, int localPort)
            throws IOException {
        return connected(new InetSocketAddress(address, port), new InetSocketAddress(localAddress, localPort));
    }

    private static Socket connected(InetSocketAddress remote, InetSocketAddress local) throws IOException {
        Socket s = new GuardedSocket();
        if (local != null) {
            s.bind(local);
        }
        s.connect(remote);
        return s;
    }

    private static final class GuardedSocket extends Socket {
        private InputStream guarded;

        @Override
        public synchronized InputStream getInputStream() throws IOException {
            if (guarded == null) {
                guarded = new AuthenticationGuard(super.getInputStream(), getRemoteSocketAddress());
            }
            return guarded;
        }
    }

    /**
     * Reads backend messages (type byte, int32 length including itself, payload) until AuthenticationOk, and looks at
     * the request code of every Authentication message on the way.
     */
    static final class AuthenticationGuard extends FilterInputStream {
        private final SocketAddress peer;
        private boolean passThrough;
        private int headerRead; // bytes of the current message's 5-byte header seen
        private int type;
        private int length;
        private int payloadRead;
        private int code; // the first four payload bytes of an Authentication message

        AuthenticationGuard(InputStream in, SocketAddress peer) {
            super(in);
            this.peer = peer;
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            if (b >= 0 && !passThrough) {
                see(b);
            }
            return b;
        }

        @Override
        public int read(byte[] buffer, int offset, int count) throws IOException {
            int n = super.read(buffer, offset, count);
            for (int i = 0; i < n && !passThrough; i++) {
                see(buffer[offset + i] & 0xff);
            }
            return n;
        }

        private void see(int b) throws IOException {
            if (headerRead == 0) {
                type = b;
                length = 0;
                payloadRead = 0;
                code = 0;
                headerRead = 1;
                return;
            }
            if (headerRead < 5) {
                length = (length << 8) | b;
                headerRead++;
                if (headerRead == 5 && length <= 4) {
                    headerRead = 0; // an empty message
                }
                return;
            }
            payloadRead++;
            if (type == 'R' && payloadRead <= 4) {
                code = (code << 8) | b;
                if (payloadRead == 4) {
                    decide();
                }
            }
            if (payloadRead >= length - 4) {
                headerRead = 0;
            }
        }

        private void decide() throws IOException {
            if (code == AUTH_CLEARTEXT || code == AUTH_MD5) {
                throw new IOException("the server at " + peer + " asked for the password "
                        + (code == AUTH_CLEARTEXT ? "in cleartext" : "as an MD5 hash")
                        + "; pgha's postgres always uses SCRAM-SHA-256, so this is not one of pgha's servers and it "
                        + "was sent nothing: check the member addresses in the cluster store (pgha status)");
            }
            if (code == AUTH_OK) {
                passThrough = true;
            }
        }
    }
}
