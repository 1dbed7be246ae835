package dev.pgha.proxy;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/** A TCP peer for the proxy: greets each connection with its name and a newline, then echoes every byte. */
final class EchoServer extends TestTcpServer {
    private final String name;

    EchoServer(String name) throws IOException {
        this(name, 0);
    }

    EchoServer(String name, int port) throws IOException {
        super("echo-" + name, port);
        this.name = name;
        start();
    }

    @Override
    void serve(Socket s) {
        try (s;
                InputStream in = s.getInputStream();
                OutputStream out = s.getOutputStream()) {
            out.write((name + "\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            byte[] buf = new byte[16 * 1024];
            int n;
            while ((n = in.read(buf)) >= 0) {
                out.write(buf, 0, n);
                out.flush();
            }
        } catch (IOException ignored) {
            // peer went away
        }
    }
}
