package dev.pgha.proxy;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A loopback TCP server for proxy tests: one thread per connection runs {@link #serve}; close ends them all.
 * Subclasses call {@link #start()} at the end of their constructor, once their own fields are set.
 */
abstract class TestTcpServer implements AutoCloseable {
    private final ServerSocket socket;
    private final String name;
    private final List<Socket> connections = new CopyOnWriteArrayList<>();

    TestTcpServer(String name) throws IOException {
        this(name, 0);
    }

    /** Listening on {@code port} of 127.0.0.1 (0: any free one). */
    TestTcpServer(String name, int port) throws IOException {
        this.socket = new ServerSocket(port, 50, InetAddress.getByName("127.0.0.1"));
        this.name = name;
    }

    final void start() {
        Thread accept = new Thread(
                () -> {
                    while (!socket.isClosed()) {
                        try {
                            Socket s = socket.accept();
                            connections.add(s);
                            Thread t = new Thread(() -> serve(s), name + "-conn");
                            t.setDaemon(true);
                            t.start();
                        } catch (IOException e) {
                            return;
                        }
                    }
                },
                name);
        accept.setDaemon(true);
        accept.start();
    }

    int port() {
        return socket.getLocalPort();
    }

    /** Talks to one accepted connection until it ends. */
    abstract void serve(Socket s);

    @Override
    public void close() throws IOException {
        socket.close();
        for (Socket s : connections) {
            s.close();
        }
    }
}
