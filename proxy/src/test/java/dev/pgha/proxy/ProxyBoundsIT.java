package dev.pgha.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.postgresql.Driver;

/** What a client can make the proxy hold before it authenticates, and where its CancelRequests go. */
class ProxyBoundsIT {
    private ProxyServer proxy;
    private final List<AutoCloseable> servers = new CopyOnWriteArrayList<>();

    @AfterEach
    void stop() throws Exception {
        if (proxy != null) {
            proxy.close();
        }
        for (AutoCloseable s : servers) {
            s.close();
        }
    }

    private ProxyServer listen(int maxUnauthenticated) throws Exception {
        proxy = ProxyServer.listen(
                "proxy",
                0,
                new ProxySettings(
                        Duration.ofSeconds(2), 1, Duration.ofMillis(500), 100, 1000, true, maxUnauthenticated));
        return proxy;
    }

    private Socket client(String from) throws IOException {
        Socket s = new Socket();
        s.bind(new InetSocketAddress(InetAddress.getByName(from), 0));
        s.connect(new InetSocketAddress("127.0.0.1", proxy.port()), 5000);
        s.setSoTimeout(5000);
        return s;
    }

    private static byte[] packet(int... ints) {
        ByteBuffer b = ByteBuffer.allocate(4 * ints.length);
        for (int i : ints) {
            b.putInt(i);
        }
        return b.array();
    }

    @Test
    void aRefusedClientGetsOneAnswerToAnSslRequestAndIsClosedOnTheSecond() throws Exception {
        listen(10).update(new Routing.Refuse("no leader"));
        try (Socket s = client("127.0.0.1")) {
            s.getOutputStream().write(packet(8, PgWire.SSL_REQUEST));
            assertThat(s.getInputStream().read()).isEqualTo('N');
            s.getOutputStream().write(packet(8, PgWire.SSL_REQUEST));
            assertThat(Wire.closedByPeer(s)).isTrue();
        }
    }

    @Test
    void aRefusedClientThatRequiresTlsGetsTheRefusalItselfOverTls(@TempDir Path dir) throws Exception {
        Path cert = dir.resolve("server.crt");
        Path key = dir.resolve("server.key");
        Process openssl = new ProcessBuilder(
                        "openssl",
                        "req",
                        "-x509",
                        "-newkey",
                        "ec",
                        "-pkeyopt",
                        "ec_paramgen_curve:P-256",
                        "-nodes",
                        "-keyout",
                        key.toString(),
                        "-out",
                        cert.toString(),
                        "-days",
                        "1",
                        "-subj",
                        "/CN=localhost")
                .redirectErrorStream(true)
                .start();
        assertThat(openssl.waitFor())
                .as(new String(openssl.getInputStream().readAllBytes()))
                .isZero();
        listen(10).answerRefusalsWithTls(new RefusalTls(cert, key));
        proxy.update(new Routing.Refuse("no leader available: failover in progress"));
        Properties p = new Properties();
        p.setProperty("user", "app");
        p.setProperty("password", "x");
        p.setProperty("sslmode", "require");
        p.setProperty("connectTimeout", "5");
        assertThatThrownBy(() -> new Driver().connect("jdbc:postgresql://127.0.0.1:" + proxy.port() + "/app", p))
                .isInstanceOfSatisfying(SQLException.class, e -> {
                    assertThat(e.getSQLState()).isEqualTo("57P03");
                    assertThat(e.getMessage()).contains("no leader available: failover in progress");
                });
        // and without a certificate the answer is 'N', as before
        proxy.answerRefusalsWithTls(null);
        try (Socket s = client("127.0.0.1")) {
            s.getOutputStream().write(packet(8, PgWire.SSL_REQUEST));
            assertThat(s.getInputStream().read()).isEqualTo('N');
        }
    }

    @Test
    void aRefusedClientSendingMoreThanAnOpeningPacketIsClosed() throws Exception {
        listen(10).update(new Routing.Refuse("no leader"));
        try (Socket s = client("127.0.0.1")) {
            // a startup packet that claims 10 000 bytes and never ends, followed by more
            s.getOutputStream().write(packet(PgWire.MAX_STARTUP_PACKET, 196608));
            try {
                s.getOutputStream().write(new byte[64 * 1024]);
            } catch (IOException closedAlready) {
                // fine: the proxy closed it while we wrote
            }
            assertThat(Wire.closedByPeer(s)).isTrue();
        }
    }

    @Test
    void oneAddressCannotHoldMoreUnauthenticatedConnectionsThanItsLimit() throws Exception {
        EchoServer a = new EchoServer("A"); // never says ReadyForQuery: its clients stay unauthenticated
        servers.add(a);
        listen(2).update(Routing.to(new Route(1, "a", "127.0.0.1", a.port())));
        try (Socket one = client("127.0.0.1");
                Socket two = client("127.0.0.1")) {
            assertThat(Wire.greeting(one)).isEqualTo("A");
            assertThat(Wire.greeting(two)).isEqualTo("A");
            try (Socket three = client("127.0.0.1")) {
                Wire.startup(three.getOutputStream());
                Wire.Message m = Wire.read(three.getInputStream());
                assertThat(m.sqlState()).isEqualTo("53300");
                assertThat(m.field('M'))
                        .isEqualTo("too many connections from 127.0.0.1 are still authenticating "
                                + "(proxy.maxUnauthenticatedPerAddress = 2)");
            }
            try (Socket other = client("127.0.0.2")) {
                assertThat(Wire.greeting(other))
                        .as("another address has its own count")
                        .isEqualTo("A");
            }
        }
        // closed connections no longer count
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
            try (Socket again = client("127.0.0.1")) {
                assertThat(Wire.greeting(again)).isEqualTo("A");
            }
        });
    }

    @Test
    void aServerThatSaysReadyForQueryEndsTheClientsUnauthenticatedCount() throws Exception {
        ReadyServer ready = new ReadyServer();
        servers.add(ready);
        listen(1).update(Routing.to(new Route(1, "r", "127.0.0.1", ready.port())));
        try (Socket first = client("127.0.0.1")) {
            Wire.startup(first.getOutputStream());
            assertThat(Wire.read(first.getInputStream()).type()).isEqualTo('Z');
            try (Socket second = client("127.0.0.1")) {
                Wire.startup(second.getOutputStream());
                assertThat(Wire.read(second.getInputStream()).type()).isEqualTo('Z');
            }
        }
    }

    @Test
    void aCancelRequestOnAPortWithSeveralDestinationsReachesEachOfThem() throws Exception {
        Recorder a = new Recorder();
        Recorder b = new Recorder();
        servers.add(a);
        servers.add(b);
        listen(10)
                .update(new Routing.To(
                        List.of(new Route(1, "a", "127.0.0.1", a.port()), new Route(1, "b", "127.0.0.1", b.port()))));
        byte[] cancel = packet(16, PgWire.CANCEL_REQUEST, 4242, 0x5ec12e7);
        try (Socket s = client("127.0.0.1")) {
            s.getOutputStream().write(cancel);
            await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
                assertThat(a.received()).isEqualTo(cancel);
                assertThat(b.received()).isEqualTo(cancel);
            });
        }
    }

    /** Keeps what its connections sent. */
    private static final class Recorder extends TestTcpServer {
        private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();

        Recorder() throws IOException {
            super("recorder");
            start();
        }

        @Override
        void serve(Socket s) {
            try (s) {
                byte[] buf = new byte[1024];
                int n;
                while ((n = s.getInputStream().read(buf)) >= 0) {
                    synchronized (bytes) {
                        bytes.write(buf, 0, n);
                    }
                }
            } catch (IOException ignored) {
                // peer went away
            }
        }

        byte[] received() {
            synchronized (bytes) {
                return bytes.toByteArray();
            }
        }
    }

    /** Answers a startup packet with ReadyForQuery, as postgres does once a client is authenticated. */
    private static final class ReadyServer extends TestTcpServer {
        ReadyServer() throws IOException {
            super("ready");
            start();
        }

        @Override
        void serve(Socket s) {
            try (s) {
                byte[] head = s.getInputStream().readNBytes(8);
                int length = ByteBuffer.wrap(head).getInt();
                s.getInputStream().readNBytes(length - 8);
                s.getOutputStream().write(new byte[] {'Z', 0, 0, 0, 5, 'I'});
                s.getOutputStream().flush();
                while (s.getInputStream().read() >= 0) {
                    // hold the session open
                }
            } catch (IOException ignored) {
                // peer went away
            }
        }
    }
}
