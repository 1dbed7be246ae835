package dev.pgha.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * What one client can make a node hold: a refused proxy connection flooded with SSLRequests, hundreds of idle HTTP
 * connections; and what a planted symbolic link can make root write (nothing). 127.0.0.2 is the misbehaving client,
 * 127.0.0.1 the platform's health check.
 */
class InputBoundsIT {
    private static final int SSL_REQUEST = 80877103;
    private static PghaNode node;

    @BeforeAll
    static void startNode() throws Exception {
        node = PghaNode.inNewDir("pgha-bounds").withFreePorts();
        Path conf = node.baseDir.resolve("bounds.conf");
        Files.writeString(conf, "proxy.maxConnections = 1\n");
        node.arg("--config").arg(conf.toString());
        node.env.put("PGHA_SHOW_CREDENTIALS", "false");
        node.start().awaitReady(Duration.ofSeconds(90));
    }

    @AfterAll
    static void stopNode() throws Exception {
        if (node != null) {
            node.close();
        }
    }

    private static long rssKb(long pid) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("\\D", ""));
            }
        }
        throw new AssertionError("no VmRSS for " + pid);
    }

    /** -1 once the peer closed the connection (or reset it), -2 when it stayed open for the socket's timeout. */
    private static int readUntilClosed(InputStream in) {
        try {
            while (in.read() >= 0) {
                // what the peer sends before closing does not matter
            }
            return -1;
        } catch (SocketTimeoutException e) {
            return -2;
        } catch (IOException e) {
            return -1;
        }
    }

    /** A protocol 3.0 StartupMessage for user postgres. */
    private static byte[] startupPacket() {
        byte[] params = "user\0postgres\0\0".getBytes(StandardCharsets.US_ASCII);
        return ByteBuffer.allocate(8 + params.length)
                .putInt(8 + params.length)
                .putInt(196608)
                .put(params)
                .array();
    }

    private static Socket from(String local, int port) throws IOException {
        Socket s = new Socket();
        s.bind(new InetSocketAddress(InetAddress.getByName(local), 0));
        s.connect(new InetSocketAddress("127.0.0.1", port), 5000);
        return s;
    }

    @Test
    void aRefusedConnectionFloodedWithSslRequestsIsClosedAndCostsTheDaemonLittleMemory() throws Exception {
        byte[] one = ByteBuffer.allocate(8).putInt(8).putInt(SSL_REQUEST).array();
        try (Socket first = from("127.0.0.1", node.proxyPort())) {
            // the one connection proxy.maxConnections allows reaches postgres (which offers TLS) ...
            first.setSoTimeout(5000);
            first.getOutputStream().write(one);
            assertThat(first.getInputStream().read()).isEqualTo('S');
            // ... so the next ones are refused by the proxy itself
            try (Socket plain = from("127.0.0.3", node.proxyPort())) {
                plain.setSoTimeout(5000);
                plain.getOutputStream().write(startupPacket());
                String reply = new String(plain.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                assertThat(reply).startsWith("E").contains("53300").contains("proxy.maxConnections = 1");
            }
            // A refused client that asks for TLS and then sends garbage, once before measuring: the daemon's first
            // TLS answer loads the TLS stack and the certificate (classes, compiled code: several MB, more on a
            // busy machine), a one-time cost that is not what a flood makes the daemon hold.
            try (Socket warmUp = from("127.0.0.2", node.proxyPort())) {
                warmUp.setSoTimeout(5000);
                warmUp.getOutputStream().write(one);
                assertThat(warmUp.getInputStream().read())
                        .as("the answer to an SSLRequest")
                        .isEqualTo('S');
                warmUp.getOutputStream().write(one);
                assertThat(readUntilClosed(warmUp.getInputStream()))
                        .as("a connection whose TLS handshake is garbage is closed")
                        .isEqualTo(-1);
            }
            Socket refused = from("127.0.0.2", node.proxyPort());
            long before = rssKb(node.pid());
            OutputStream out = refused.getOutputStream();
            InputStream in = refused.getInputStream();
            out.write(one);
            out.flush();
            refused.setSoTimeout(5000);
            // the first SSLRequest is answered 'S': the refusal would come over TLS, with the node's certificate
            assertThat(in.read()).as("the answer to the first SSLRequest").isEqualTo('S');

            byte[] chunk = new byte[64 * 1024];
            ByteBuffer b = ByteBuffer.wrap(chunk);
            while (b.hasRemaining()) {
                b.put(one);
            }
            long sent = 0;
            boolean cut = false;
            try {
                while (sent < 32L << 20) {
                    out.write(chunk);
                    sent += chunk.length;
                }
                out.flush();
            } catch (IOException e) {
                cut = true; // the proxy closed it
            }
            if (!cut) {
                assertThat(readUntilClosed(in))
                        .as("the connection is closed: what follows the SSLRequest is not TLS")
                        .isEqualTo(-1);
            }
            long grownKb = rssKb(node.pid()) - before;
            System.out.printf("InputBoundsIT: RSS grew %d kB while %d bytes were sent%n", grownKb, sent);
            // a proxy that read and kept the 32 MB flood would grow by about that much; one that closes the
            // connection grows by kilobytes (12-16 kB measured here), so half of the flood leaves room for the GC
            assertThat(grownKb)
                    .as("RSS growth in kB after %d bytes were sent", sent)
                    .isLessThan(16 * 1024);
        }
        // the node still serves
        assertThat(HttpProbe.get(node.httpPort(), "/flycheck/role").status()).isEqualTo(200);
    }

    private static String rawGet(String local, String path) {
        try (Socket s = from(local, node.httpPort())) {
            s.setSoTimeout(1000);
            s.getOutputStream()
                    .write(("GET " + path + " HTTP/1.1\r\nHost: node\r\nConnection: close\r\n\r\n")
                            .getBytes(StandardCharsets.US_ASCII));
            return new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "failed: " + e;
        }
    }

    @Test
    void hundredsOfIdleHttpSocketsFromOneAddressDoNotSilenceTheHealthChecks() throws Exception {
        List<Socket> idle = new ArrayList<>();
        try {
            for (int i = 0; i < 300; i++) {
                idle.add(from("127.0.0.2", node.httpPort()));
            }
            long start = System.nanoTime();
            String reply = rawGet("127.0.0.1", "/flycheck/role");
            long tookMs = (System.nanoTime() - start) / 1_000_000;
            assertThat(reply)
                    .startsWith("HTTP/1.1 200")
                    .contains("X-Content-Type-Options: nosniff")
                    .endsWith("\nleader\n");
            assertThat(tookMs).as("answer time in ms").isLessThan(1000);
            assertThat(rawGet("127.0.0.2", "/flycheck/role")).doesNotStartWith("HTTP/1.1 200");

            // within its limit the same address is served again
            for (Socket s : idle) {
                s.close();
            }
            idle.clear();
            Thread.sleep(200);
            assertThat(rawGet("127.0.0.2", "/flycheck/role")).startsWith("HTTP/1.1 200");
            // a 404 does not echo what was asked for
            assertThat(rawGet("127.0.0.1", "/%3Cscript%3E"))
                    .startsWith("HTTP/1.1 404")
                    .doesNotContain("script");
        } finally {
            for (Socket s : idle) {
                s.close();
            }
        }
    }

    @Test
    void generatedPasswordsAreNotPrintedWhenTheOperatorSaysSo() throws Exception {
        assertThat(node.banner()).doesNotContain("Password:");
        assertThat(node.out())
                .contains("generated credentials are not shown (PGHA_SHOW_CREDENTIALS=false): they are in "
                        + node.dataDir.resolve("pgha/secrets"));
        String stored = Files.readString(node.dataDir.resolve("pgha/secrets"));
        for (String key : List.of("suPassword", "replPassword", "operatorPassword", "storeSecret")) {
            Matcher m = Pattern.compile("\"" + key + "\"\\s*:\\s*\"([^\"]+)\"").matcher(stored);
            assertThat(m.find()).as(key).isTrue();
            assertThat(node.log()).as("the output holds %s", key).doesNotContain(m.group(1));
        }
    }

    @Test
    void linksPlantedInPostgresDirectoriesAreReplacedNotFollowed() throws Exception {
        Path outside = Files.createDirectories(node.baseDir.resolve("outside"));
        Path target = Files.writeString(outside.resolve("target"), "untouched\n");
        assertThat(node.stop(Duration.ofSeconds(60))).isZero();
        Path pgdata = node.pgData();
        Files.delete(pgdata.resolve("pg_hba.conf"));
        Files.createSymbolicLink(pgdata.resolve("pg_hba.conf"), target);
        Files.createSymbolicLink(pgdata.resolve(".postgresql.conf.tmp"), target);
        Path tls = node.dataDir.resolve("tls");
        Files.delete(tls.resolve("server.crt"));
        Files.createSymbolicLink(tls.resolve("server.crt"), target);

        node.start().awaitReady(Duration.ofSeconds(90));

        assertThat(target).hasContent("untouched");
        assertThat(Files.isSymbolicLink(pgdata.resolve("pg_hba.conf"))).isFalse();
        assertThat(Files.readString(pgdata.resolve("pg_hba.conf"))).contains("scram-sha-256");
        assertThat(Files.isSymbolicLink(tls.resolve("server.crt"))).isFalse();
    }
}
