package dev.pgha.proxy;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;

/**
 * A backend that answers the startup packet with the first reply and each following frontend message with the next
 * one, then keeps the connection open. It reads whole messages (length-prefixed, as postgres does), never "what one
 * read returns": how TCP splits or joins the bytes the proxy relays is not the proxy's message framing, and under
 * load a packet can arrive in pieces.
 */
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
                DataInputStream in = new DataInputStream(s.getInputStream());
                OutputStream out = s.getOutputStream()) {
            for (int i = 0; i < replies.length; i++) {
                if (i > 0) {
                    in.readByte(); // a frontend message's type; the startup packet has none
                }
                int length = in.readInt();
                in.readFully(new byte[length - 4]);
                out.write(replies[i]);
                out.flush();
            }
            while (in.read() >= 0) {
                // keep the connection open until the proxy closes it
            }
        } catch (IOException ignored) {
            // the proxy closed the connection
        }
    }
}
