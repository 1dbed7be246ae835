package dev.pgha.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.Random;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.postgresql.Driver;

/** The proxy relaying real TCP connections to real TCP peers. */
class ProxyServerIT {
    /** A short hold, so that refusals show quickly. */
    private static final ProxySettings SETTINGS =
            new ProxySettings(Duration.ofSeconds(2), 2, Duration.ofMillis(500), 1000, 10_000, false);

    private ProxyServer proxy;
    private EchoServer a;
    private EchoServer b;

    @BeforeEach
    void start() throws Exception {
        proxy = ProxyServer.listen("proxy", 0, SETTINGS);
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

    @Test
    void aClientHeldPastTheTimeoutGetsAPostgresError57P03() throws Exception {
        proxy.update(new Routing.Hold("no leader available: failover in progress"));
        try (Socket s = client()) {
            Wire.startup(s.getOutputStream());
            Wire.Message m = Wire.read(s.getInputStream());
            assertThat(m.type()).isEqualTo('E');
            assertThat(m.sqlState()).isEqualTo("57P03");
            assertThat(m.field('S')).isEqualTo("FATAL");
            assertThat(m.field('M')).isEqualTo("no leader available: failover in progress");
            assertThat(Wire.closedByPeer(s)).isTrue();
        }
        // ... and so does the JDBC driver, with the SQLSTATE pools retry on.
        long t0 = System.nanoTime();
        assertThatThrownBy(() -> jdbc()).isInstanceOfSatisfying(SQLException.class, e -> {
            assertThat(e.getSQLState()).isEqualTo("57P03");
            assertThat(e.getMessage()).contains("no leader available: failover in progress");
        });
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isGreaterThanOrEqualTo(Duration.ofMillis(450));
    }

    @Test
    void anSslRequestIsAnsweredNoBeforeTheRefusal() throws Exception {
        proxy.update(new Routing.Refuse("no leader available: this node lost its connection to the cluster store"));
        try (Socket s = client()) {
            Wire.sslRequest(s.getOutputStream());
            assertThat(s.getInputStream().read()).isEqualTo('N');
            Wire.startup(s.getOutputStream());
            Wire.Message m = Wire.read(s.getInputStream());
            assertThat(m.sqlState()).isEqualTo("57P03");
            assertThat(m.field('M')).contains("lost its connection to the cluster store");
        }
    }

    @Test
    void aHeldClientIsConnectedAsSoonAsALeaderIsPublished() throws Exception {
        proxy.update(new Routing.Hold("failover"));
        try (Socket s = client()) {
            await().atMost(Duration.ofSeconds(2)).until(() -> proxy.heldConnections() == 1);
            proxy.update(Routing.to(to(b, "b", 2)));
            assertThat(Wire.greeting(s)).isEqualTo("B");
        }
        assertThat(proxy.heldConnections()).isZero();
    }

    @Test
    void aClientStillConnectingToTheFormerLeaderIsHeldForTheNextOneNotClosed() throws Exception {
        // A leader that does not answer: its accept queue is full, so the proxy's connect waits for a SYN-ACK that
        // never comes (as when the leader's node has just died), up to the 2 s connect timeout.
        try (ServerSocket silent = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            List<Socket> queued = fillAcceptQueue(silent.getLocalPort());
            try {
                proxy.update(Routing.to(new Route(1, "a", "127.0.0.1", silent.getLocalPort())));
                try (Socket s = client()) {
                    Wire.startup(s.getOutputStream());
                    Thread.sleep(300); // the proxy's connect to the silent leader is in flight
                    assertThat(proxy.heldConnections()).isZero();
                    // The cluster fails over meanwhile: the client has sent nothing anywhere, so it is not ended
                    // (before: closed without a word, which a driver reports as 08001) but connected to the new one.
                    proxy.update(Routing.to(to(b, "b", 2)));
                    assertThat(Wire.greeting(s)).isEqualTo("B");
                }
            } finally {
                for (Socket q : queued) {
                    q.close();
                }
            }
        }
    }

    /** Connects to {@code port} until its listener's accept queue is full (the last connect times out). */
    private static List<Socket> fillAcceptQueue(int port) throws IOException {
        List<Socket> queued = new ArrayList<>();
        for (int i = 0; i < 64; i++) {
            Socket q = new Socket();
            try {
                q.connect(new InetSocketAddress("127.0.0.1", port), 200);
                queued.add(q);
            } catch (SocketTimeoutException full) {
                q.close();
                return queued;
            }
        }
        throw new IllegalStateException("the accept queue of port " + port + " never filled");
    }

    @Test
    void beyondMaxHeldAndMaxConnectionsClientsAreRefusedAtOnceWithTheRightCode() throws Exception {
        proxy.close();
        proxy = ProxyServer.listen(
                "proxy", 0, new ProxySettings(Duration.ofSeconds(2), 2, Duration.ofSeconds(30), 1, 2, false));
        try (Socket first = client()) {
            await().atMost(Duration.ofSeconds(2)).until(() -> proxy.heldConnections() == 1);
            assertThatThrownBy(() -> jdbc()).isInstanceOfSatisfying(SQLException.class, e -> {
                assertThat(e.getSQLState()).isEqualTo("57P03");
                assertThat(e.getMessage()).contains("1 connections are already waiting");
            });
            proxy.update(Routing.to(to(a, "a", 1)));
            assertThat(Wire.greeting(first)).isEqualTo("A");
            try (Socket second = client()) {
                assertThat(Wire.greeting(second)).isEqualTo("A");
                assertThatThrownBy(() -> jdbc()).isInstanceOfSatisfying(SQLException.class, e -> {
                    assertThat(e.getSQLState()).isEqualTo("53300");
                    assertThat(e.getMessage()).contains("proxy.maxConnections = 2");
                });
            }
        }
    }

    @Test
    void garbageAtARefusingProxyClosesThatConnectionOnly() throws Exception {
        proxy.update(new Routing.Refuse("no leader"));
        try (Socket garbage = client();
                Socket good = client()) {
            garbage.getOutputStream()
                    .write(new byte[] {(byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, 1, 2, 3, 4});
            assertThat(Wire.closedByPeer(garbage)).isTrue();
            Wire.startup(good.getOutputStream());
            assertThat(Wire.read(good.getInputStream()).sqlState()).isEqualTo("57P03");
        }
        proxy.update(Routing.to(to(a, "a", 1)));
        try (Socket s = client()) {
            assertThat(Wire.greeting(s)).isEqualTo("A");
        }
    }

    @Test
    void aLeaderChangeEndsSessionsWith57P01BetweenMessagesAndAPlainCloseInsideOne() throws Exception {
        // A backend that answers every read with one complete message, then with half a message.
        try (ScriptedBackend backend =
                new ScriptedBackend(new byte[] {'Z', 0, 0, 0, 5, 'I'}, new byte[] {'D', 0, 0, 0, 100, 1, 2, 3})) {
            proxy.update(Routing.to(new Route(1, "x", "127.0.0.1", backend.port())));
            Socket between = client();
            Wire.startup(between.getOutputStream());
            assertThat(Wire.read(between.getInputStream()).type()).isEqualTo('Z');
            Socket inside = client();
            Wire.startup(inside.getOutputStream());
            assertThat(Wire.read(inside.getInputStream()).type()).isEqualTo('Z');
            inside.getOutputStream().write(new byte[] {'Q', 0, 0, 0, 5, 0}); // the backend answers half a message
            byte[] half = new byte[8];
            new DataInputStream(inside.getInputStream()).readFully(half);

            proxy.update(Routing.to(to(b, "b", 2)));
            Wire.Message m = Wire.read(between.getInputStream());
            assertThat(m.type()).isEqualTo('E');
            assertThat(m.sqlState()).isEqualTo("57P01");
            assertThat(m.field('M')).isEqualTo("terminating connection: the leader changed");
            assertThat(Wire.closedByPeer(between)).isTrue();
            assertThat(inside.getInputStream().read())
                    .as("a plain close, nothing after the half message")
                    .isEqualTo(-1);
            between.close();
            inside.close();
        }
    }

    private Connection jdbc() throws SQLException {
        Properties p = new Properties();
        p.setProperty("user", "tester");
        p.setProperty("password", "x");
        p.setProperty("connectTimeout", "10");
        p.setProperty("socketTimeout", "10");
        return new Driver().connect("jdbc:postgresql://127.0.0.1:" + proxyPort() + "/postgres", p);
    }

    @Test
    void relaysBothWaysAndKeepsEveryByteUnderBackpressure() throws Exception {
        proxy.update(Routing.to(to(a, "a", 1)));
        try (Socket s = client()) {
            assertThat(Wire.greeting(s)).isEqualTo("A");
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
        proxy.update(Routing.to(to(a, "a", 1)));
        List<Socket> old = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            Socket s = client();
            assertThat(Wire.greeting(s)).isEqualTo("A");
            old.add(s);
        }
        // A new generation with the same leader keeps connections.
        proxy.update(Routing.to(to(a, "a", 2)));
        Socket kept = old.get(0);
        kept.getOutputStream().write("still here\n".getBytes(StandardCharsets.US_ASCII));
        assertThat(Wire.greeting(kept)).isEqualTo("still here");

        proxy.update(Routing.to(to(b, "b", 3)));
        for (Socket s : old) {
            assertThat(Wire.closedByPeer(s)).isTrue();
            s.close();
        }
        try (Socket s = client()) {
            assertThat(Wire.greeting(s)).isEqualTo("B");
        }
        assertThat(proxy.currentRoute()).map(Route::leader).contains("b");
    }

    @Test
    void noLeaderClosesEverythingUntilOneIsPublished() throws Exception {
        proxy.update(Routing.to(to(a, "a", 1)));
        Socket s = client();
        assertThat(Wire.greeting(s)).isEqualTo("A");
        proxy.update(new Routing.Hold("failover"));
        assertThat(Wire.closedByPeer(s)).isTrue();
        s.close();
        try (Socket refused = client()) {
            Wire.startup(refused.getOutputStream());
            assertThat(Wire.read(refused.getInputStream()).sqlState()).isEqualTo("57P03");
        }
        proxy.update(Routing.to(to(b, "b", 2)));
        try (Socket again = client()) {
            assertThat(Wire.greeting(again)).isEqualTo("B");
        }
    }

    @Test
    void aClientTheLeaderRefusedTriesAgainWhileTheRoutingStays() throws Exception {
        int late = freePort();
        proxy.update(Routing.to(new Route(1, "c", "127.0.0.1", late))); // c's postgres does not listen yet
        try (Socket s = client()) {
            Wire.startup(s.getOutputStream());
            await().atMost(Duration.ofSeconds(1)).until(() -> proxy.heldConnections() == 1);
            try (EchoServer c = new EchoServer("C", late)) {
                // no new routing: the proxy connected it on its own, well within the hold timeout
                assertThat(Wire.greeting(s)).isEqualTo("C");
            }
        }
    }

    @Test
    void unreachableLeaderClosesOnlyTheNewConnection() throws Exception {
        proxy.update(Routing.to(to(a, "a", 1)));
        Socket healthy = client();
        assertThat(Wire.greeting(healthy)).isEqualTo("A");
        int dead = freePort();
        proxy.update(Routing.to(new Route(2, "a", "127.0.0.1", dead))); // same member, new address: not reachable
        assertThat(Wire.closedByPeer(healthy)).isTrue(); // a different address is a different leader
        try (Socket s = client()) {
            // held while the leader is unreachable; past the hold timeout it is told why
            Wire.startup(s.getOutputStream());
            Wire.Message m = Wire.read(s.getInputStream());
            assertThat(m.sqlState()).isEqualTo("57P03");
            assertThat(m.field('M')).startsWith("no leader available: cannot reach a at 127.0.0.1:" + dead);
        }
        try (Socket s = client()) {
            // held (its startup packet unread), then connected as soon as a reachable leader is published
            Wire.startup(s.getOutputStream());
            await().atMost(Duration.ofSeconds(2)).until(() -> proxy.heldConnections() == 1);
            proxy.update(Routing.to(to(b, "b", 3)));
            assertThat(Wire.greeting(s)).isEqualTo("B");
        }
        proxy.update(Routing.to(to(a, "a", 4)));
        try (Socket s = client()) {
            assertThat(Wire.greeting(s)).isEqualTo("A");
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> proxy.clientConnections() <= 1);
    }
}
