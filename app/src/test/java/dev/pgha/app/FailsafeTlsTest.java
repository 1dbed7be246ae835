package dev.pgha.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pgha.common.config.PghaConfig;
import dev.pgha.keeper.FailsafeTls;
import dev.pgha.net.HttpReply;
import dev.pgha.net.HttpService;
import dev.pgha.net.MemberTls;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.Map;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Failsafe requests over mutual TLS when the operator gave certificates: the member's HTTP port speaks TLS and plain
 * HTTP on the same port, and tells an endpoint whether the client presented a certificate of the cluster's CA; a
 * failsafe client presents its own and trusts only a server of that CA (real certificates made with openssl).
 */
class FailsafeTlsTest {
    private Path dir;
    private HttpService server;

    @AfterEach
    void stop() throws IOException {
        if (server != null) {
            server.close();
        }
        if (dir != null) {
            TestDirs.delete(dir);
        }
    }

    private static HttpService serve(TestCertificates certs) throws IOException {
        return HttpService.listen(
                "test",
                "127.0.0.1",
                0,
                Map.of("/liveness", r -> HttpReply.text(200, "ok\n")),
                Map.of("/failsafe", r -> HttpReply.text(200, "certified=" + r.peerCertified())),
                Map.of(),
                Duration.ofSeconds(5),
                MemberTls.server(certs.cert(), certs.key(), certs.ca()));
    }

    private static PghaConfig.Tls tls(TestCertificates c) {
        return new PghaConfig.Tls(c.cert(), c.key(), c.ca());
    }

    private static String post(HttpClient client, String url) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(URI.create(url))
                .timeout(Duration.ofSeconds(10))
                .POST(HttpRequest.BodyPublishers.ofString("{}"))
                .build();
        HttpResponse<String> r = client.send(request, HttpResponse.BodyHandlers.ofString());
        return r.statusCode() + " " + r.body();
    }

    /** A TLS client that trusts the CA and presents no certificate of its own. */
    private static SSLContext trustOnly(Path ca) throws Exception {
        KeyStore store = KeyStore.getInstance("PKCS12");
        store.load(null, null);
        try (InputStream in = Files.newInputStream(ca)) {
            store.setCertificateEntry(
                    "ca", CertificateFactory.getInstance("X.509").generateCertificate(in));
        }
        TrustManagerFactory f = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        f.init(store);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, f.getTrustManagers(), null);
        return context;
    }

    @Test
    void aMemberCertificateIsRecognisedAndPlainHttpStillServesHealthChecks() throws Exception {
        dir = TestDirs.create("pgha-failsafe-tls");
        TestCertificates cluster = TestCertificates.create(dir.resolve("cluster"));
        server = serve(cluster);
        int port = server.port();

        HttpClient member = HttpClient.newBuilder()
                .sslContext(FailsafeTls.client(tls(cluster)))
                .build();
        assertThat(post(member, "https://127.0.0.1:" + port + "/failsafe")).isEqualTo("200 certified=true");

        HttpClient plain = HttpClient.newHttpClient();
        assertThat(post(plain, "http://127.0.0.1:" + port + "/failsafe")).isEqualTo("200 certified=false");
        HttpResponse<String> health = plain.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/liveness"))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(health.statusCode()).isEqualTo(200);

        HttpClient anonymous =
                HttpClient.newBuilder().sslContext(trustOnly(cluster.ca())).build();
        assertThat(post(anonymous, "https://127.0.0.1:" + port + "/failsafe")).isEqualTo("200 certified=false");
    }

    @Test
    void neitherSideAcceptsACertificateOfAnotherCa() throws Exception {
        dir = TestDirs.create("pgha-failsafe-tls");
        TestCertificates cluster = TestCertificates.create(dir.resolve("cluster"));
        TestCertificates stranger = TestCertificates.create(dir.resolve("stranger"));
        server = serve(cluster);
        String url = "https://127.0.0.1:" + server.port() + "/failsafe";

        // a client of another cluster presents a certificate the port does not trust: no handshake
        HttpClient outsider = HttpClient.newBuilder()
                .sslContext(FailsafeTls.client(tls(stranger)))
                .build();
        assertThatThrownBy(() -> post(outsider, url)).isInstanceOf(IOException.class);

        // a member does not talk to a server whose certificate another CA signed
        try (HttpService impostor = serve(stranger)) {
            HttpClient member = HttpClient.newBuilder()
                    .sslContext(FailsafeTls.client(tls(cluster)))
                    .build();
            assertThatThrownBy(() -> post(member, "https://127.0.0.1:" + impostor.port() + "/failsafe"))
                    .isInstanceOf(IOException.class);
        }
    }
}
