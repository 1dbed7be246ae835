package dev.pgha.proxy;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;

/** A test client's side of the postgres wire protocol: opening packets out, typed messages in. */
final class Wire {
    private Wire() {}

    static void sslRequest(OutputStream out) throws IOException {
        DataOutputStream d = new DataOutputStream(out);
        d.writeInt(8);
        d.writeInt(80877103);
        d.flush();
    }

    static void startup(OutputStream out) throws IOException {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        for (String s : new String[] {"user", "tester", "database", "postgres"}) {
            body.write(s.getBytes(StandardCharsets.UTF_8));
            body.write(0);
        }
        body.write(0);
        DataOutputStream d = new DataOutputStream(out);
        d.writeInt(8 + body.size());
        d.writeInt(196608);
        d.write(body.toByteArray());
        d.flush();
    }

    /** One typed message: its type byte and body. */
    record Message(char type, byte[] body) {
        /** The 'C' (SQLSTATE) field of an ErrorResponse. */
        String sqlState() {
            return field('C');
        }

        String field(char code) {
            int i = 0;
            while (i < body.length && body[i] != 0) {
                int start = i + 1;
                int end = start;
                while (body[end] != 0) {
                    end++;
                }
                if (body[i] == code) {
                    return new String(body, start, end - start, StandardCharsets.UTF_8);
                }
                i = end + 1;
            }
            return null;
        }
    }

    static Message read(InputStream in) throws IOException {
        DataInputStream d = new DataInputStream(in);
        int type = d.read();
        if (type < 0) {
            return null;
        }
        int length = d.readInt();
        byte[] body = new byte[length - 4];
        d.readFully(body);
        return new Message((char) type, body);
    }

    /**
     * What a new client of the proxy listening on {@code port} meets: the greeting line of the backend it reaches
     * (see {@link EchoServer}), "refused SQLSTATE: message" when the proxy refuses it, "closed", or "failed: why".
     */
    static String reach(int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 2000);
            s.setSoTimeout(3000);
            startup(s.getOutputStream());
            InputStream in = new BufferedInputStream(s.getInputStream());
            in.mark(1);
            int first = in.read();
            if (first == 'E') {
                in.reset();
                Message m = read(in);
                return "refused " + m.sqlState() + ": " + m.field('M');
            }
            StringBuilder line = new StringBuilder();
            for (int c = first; c >= 0 && c != '\n'; c = in.read()) {
                line.append((char) c);
            }
            return line.length() == 0 ? "closed" : line.toString();
        } catch (IOException e) {
            return "failed: " + e.getMessage();
        }
    }

    /** The one line a test server greets with (its name). */
    static String greeting(Socket s) throws IOException {
        StringBuilder line = new StringBuilder();
        InputStream in = s.getInputStream();
        int c;
        while ((c = in.read()) >= 0 && c != '\n') {
            line.append((char) c);
        }
        return line.toString();
    }

    /** The peer closes {@code s} within its read timeout (whatever it sent before). */
    static boolean closedByPeer(Socket s) {
        try {
            InputStream in = s.getInputStream();
            while (in.read() >= 0) {
                // drain
            }
            return true;
        } catch (SocketTimeoutException e) {
            return false;
        } catch (IOException e) {
            return true;
        }
    }
}
