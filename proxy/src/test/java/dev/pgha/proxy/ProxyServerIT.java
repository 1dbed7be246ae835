package dev.pgha.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The proxy relaying real TCP connections to real TCP peers. */
class ProxyServerIT {
    private ProxyServer proxy;
    private EchoServer a;
    private EchoServer b;

    @BeforeEach
    void start() throws Exception {
        proxy = ProxyServer.listen(0, Duration.ofSeconds(2), 2);
        a = new EchoServer("A");
        b = new EchoServer("B");
    }

    @AfterEach
    void stop() throws Exception {
        proxy.close();
        a.close();
        b.close();
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private Route to(EchoServer server, String leader, long generation) {
        return new Route(generation, leader, "127.0.0.1", server.port());
    }

    private Socket client() throws IOException {
        Socket s = new Socket();
        s.connect(new InetSocketAddress("127.0.0.1", proxyPort()), 5000);
        s.setSoTimeout(10_000);
        return s;
    }

    private int proxyPort() {
        return proxy.port();
    }

    private static String greeting(Socket s) throws IOException {
        StringBuilder line = new StringBuilder();
        InputStream in = s.getInputStream();
        int c;
        while ((c = in.read()) >= 0 && c != '\n') {
            line.append((char) c);
        }
        return line.toString();
    }

    private static boolean closedByPeer(Socket s) throws IOException {
        s.setSoTimeout(10_000);
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

    @Test
    void refusesWhileThereIsNoLeader() throws Exception {
        try (Socket s = client()) {
            assertThat(closedByPeer(s)).isTrue();
        }
    }

    @Test
    void relaysBothWaysAndKeepsEveryByteUnderBackpressure() throws Exception {
        proxy.route(Optional.of(to(a, "a", 1)));
        try (Socket s = client()) {
            assertThat(greeting(s)).isEqualTo("A");
            byte[] payload = new byte[32 << 20]; // far more than any socket or proxy buffer
            new Random(7).nextBytes(payload);
            AtomicReference<Throwable> writeFailure = new AtomicReference<>();
            Thread writer = new Thread(() -> {
                try {
                    OutputStream out = s.getOutputStream();
                    for (int off = 0; off < payload.length; off += 1 << 16) {
                        out.write(payload, off, Math.min(1 << 16, payload.length - off));
                    }
                    out.flush();
                } catch (Throwable t) {
                    writeFailure.set(t);
                }
            });
            writer.start();
            // A slow reader: the proxy must stop reading from the writer rather than buffer 32 MB.
            DataInputStream in = new DataInputStream(s.getInputStream());
            byte[] echoed = new byte[payload.length];
            Thread.sleep(500);
            in.readFully(echoed);
            writer.join();
            assertThat(writeFailure.get()).isNull();
            assertThat(MessageDigest.getInstance("SHA-256").digest(echoed))
                    .isEqualTo(MessageDigest.getInstance("SHA-256").digest(payload));
        }
    }

    @Test
    void leaderChangeClosesOldConnectionsAndSendsNewOnesToTheNewLeader() throws Exception {
        proxy.route(Optional.of(to(a, "a", 1)));
        List<Socket> old = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            Socket s = client();
            assertThat(greeting(s)).isEqualTo("A");
            old.add(s);
        }
        // A new generation with the same leader keeps connections.
        proxy.route(Optional.of(to(a, "a", 2)));
        Socket kept = old.get(0);
        kept.getOutputStream().write("still here\n".getBytes(StandardCharsets.US_ASCII));
        assertThat(greeting(kept)).isEqualTo("still here");

        proxy.route(Optional.of(to(b, "b", 3)));
        for (Socket s : old) {
            assertThat(closedByPeer(s)).isTrue();
            s.close();
        }
        try (Socket s = client()) {
            assertThat(greeting(s)).isEqualTo("B");
        }
        assertThat(proxy.currentRoute()).map(Route::leader).contains("b");
    }

    @Test
    void noLeaderClosesEverythingUntilOneIsPublished() throws Exception {
        proxy.route(Optional.of(to(a, "a", 1)));
        Socket s = client();
        assertThat(greeting(s)).isEqualTo("A");
        proxy.route(Optional.empty());
        assertThat(closedByPeer(s)).isTrue();
        s.close();
        try (Socket refused = client()) {
            assertThat(closedByPeer(refused)).isTrue();
        }
        proxy.route(Optional.of(to(b, "b", 2)));
        try (Socket again = client()) {
            assertThat(greeting(again)).isEqualTo("B");
        }
    }

    @Test
    void unreachableLeaderClosesOnlyTheNewConnection() throws Exception {
        proxy.route(Optional.of(to(a, "a", 1)));
        Socket healthy = client();
        assertThat(greeting(healthy)).isEqualTo("A");
        int dead = freePort();
        proxy.route(Optional.of(new Route(2, "a", "127.0.0.1", dead))); // same member, new address: not reachable
        assertThat(closedByPeer(healthy)).isTrue(); // a different address is a different leader
        try (Socket s = client()) {
            assertThat(closedByPeer(s)).isTrue();
        }
        proxy.route(Optional.of(to(a, "a", 3)));
        try (Socket s = client()) {
            assertThat(greeting(s)).isEqualTo("A");
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> proxy.clientConnections() <= 1);
    }
}
