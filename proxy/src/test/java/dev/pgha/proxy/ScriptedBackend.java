package dev.pgha.proxy;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;

/** A stand-in for postgres's side of a connection: answers its n-th read with the n-th scripted reply. */
final class ScriptedBackend extends TestTcpServer {
    private final byte[][] replies;

    ScriptedBackend(byte[]... replies) throws IOException {
        super("scripted-backend");
        this.replies = replies;
        start();
    }

    @Override
    void serve(Socket s) {
        try (s;
                InputStream in = s.getInputStream();
                OutputStream out = s.getOutputStream()) {
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
}
