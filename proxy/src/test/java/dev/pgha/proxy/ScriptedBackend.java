package dev.pgha.proxy;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** A stand-in for postgres's side of a connection: answers its n-th read with the n-th scripted reply. */
final class ScriptedBackend implements AutoCloseable {
    private final ServerSocket socket;
    private final byte[][] replies;
    private final List<Socket> connections = new CopyOnWriteArrayList<>();

    ScriptedBackend(byte[]... replies) throws IOException {
        this.replies = replies;
        this.socket = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"));
        Thread accept = new Thread(() -> {
            while (!socket.isClosed()) {
                try {
                    Socket s = socket.accept();
                    connections.add(s);
                    Thread t = new Thread(() -> serve(s), "scripted-backend-conn");
                    t.setDaemon(true);
                    t.start();
                } catch (IOException e) {
                    return;
                }
            }
        }, "scripted-backend");
        accept.setDaemon(true);
        accept.start();
    }

    int port() {
        return socket.getLocalPort();
    }

    private void serve(Socket s) {
        try (InputStream in = s.getInputStream(); OutputStream out = s.getOutputStream()) {
            byte[] buf = new byte[8192];
            for (byte[] reply : replies) {
                if (in.read(buf) < 0) {
                    return;
                }
                out.write(reply);
                out.flush();
            }
            while (in.read(buf) >= 0) {
                // keep the connection open until the proxy closes it
            }
        } catch (IOException ignored) {
            // the proxy closed the connection
        }
    }

    @Override
    public void close() throws IOException {
        socket.close();
        for (Socket s : connections) {
            s.close();
        }
    }
}
