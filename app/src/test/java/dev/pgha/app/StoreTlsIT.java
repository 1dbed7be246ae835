package dev.pgha.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pgha.common.PghaException;
import dev.pgha.common.config.PghaConfig;
import dev.pgha.common.secret.Secret;
import dev.pgha.common.secret.SecretStore;
import dev.pgha.keeper.FailsafeTls;
import dev.pgha.store.ZooKeeperAuth;
import dev.pgha.store.ZooKeeperStore;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * A single node given certificates (PGHA_TLS_*): its embedded ZooKeeper speaks TLS only, the daemon and the CLI use
 * it, and a client that holds the store secret but does not speak TLS gets nowhere.
 */
class StoreTlsIT {
    @Test
    void withCertificatesTheStoreSpeaksMutualTlsOnly() throws Exception {
        try (PghaNode node = PghaNode.inNewDir("pgha-store-tls").withFreePorts()) {
            TestCertificates certs = TestCertificates.create(node.baseDir.resolve("certs"));
            node.env.put("PGHA_TLS_CERT_FILE", certs.cert().toString());
            node.env.put("PGHA_TLS_KEY_FILE", certs.key().toString());
            node.env.put("PGHA_TLS_CA_FILE", certs.ca().toString());
            node.start().awaitReady(Duration.ofSeconds(90));
            assertThat(node.log())
                    .containsPattern("embedded ZooKeeper server 1 starting .* clients 127\\.0\\.0\\.1:\\d+ with TLS");

            PghaCli.Result status = PghaCli.run(node, "status");
            assertThat(status.code()).as(status.toString()).isZero();
            assertThat(status.out()).contains("leader");

            // the HTTP port speaks TLS as well, and /failsafe answers only a member's certificate
            String failsafe = "://127.0.0.1:" + node.httpPort() + "/failsafe";
            HttpRequest.Builder post = HttpRequest.newBuilder()
                    .timeout(Duration.ofSeconds(10))
                    .POST(HttpRequest.BodyPublishers.ofString("{}"));
            HttpResponse<String> plain = HttpClient.newHttpClient()
                    .send(post.uri(URI.create("http" + failsafe)).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(plain.statusCode()).isEqualTo(403);
            assertThat(plain.body()).contains("a member certificate signed by this cluster's CA");
            HttpClient member = HttpClient.newBuilder()
                    .sslContext(FailsafeTls.client(new PghaConfig.Tls(certs.cert(), certs.key(), certs.ca())))
                    .build();
            HttpResponse<String> certified =
                    member.send(post.uri(URI.create("https" + failsafe)).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(certified.statusCode())
                    .as("past the certificate check: {} is no request")
                    .isEqualTo(400);

            // postgres serves the operator's certificate: verify-full through the proxy works for a name it
            // carries (127.0.0.1, localhost) and fails for one it does not (127.0.0.2 reaches the same proxy)
            String verified = "sslmode=verify-full sslrootcert=" + certs.ca() + " port=" + node.proxyPort()
                    + " user=postgres dbname=postgres";
            String password = node.printedPassword().orElseThrow();
            PgTools.Result good = PgTools.psql(
                    "host=127.0.0.1 " + verified + " password=" + password,
                    "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()");
            assertThat(good.output()).as(good.toString()).isEqualTo("t");
            PgTools.Result localhost = PgTools.psql("host=localhost " + verified + " password=" + password, "SELECT 1");
            assertThat(localhost.output()).as(localhost.toString()).isEqualTo("1");
            PgTools.Result wrongName = PgTools.psql("host=127.0.0.2 " + verified + " password=" + password, "SELECT 1");
            assertThat(wrongName.exitCode()).isNotZero();
            assertThat(wrongName.output()).contains("does not match host name \"127.0.0.2\"");

            PghaConfig.Secrets none =
                    new PghaConfig.Secrets(Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty());
            Secret secret = new SecretStore(node.dataDir.resolve("pgha"))
                    .existingStoreSecret(none)
                    .orElseThrow();
            assertThatThrownBy(() -> ZooKeeperStore.connect(
                            "127.0.0.1:" + node.env.get("PGHA_ZK_PORT"),
                            "pgha",
                            new ZooKeeperAuth("pgha", secret),
                            Duration.ofSeconds(2),
                            Duration.ofSeconds(5),
                            "the node's ZooKeeper without TLS"))
                    .isInstanceOf(PghaException.class)
                    .hasMessageStartingWith("cannot reach the node's ZooKeeper without TLS");
        }
    }

    @Test
    void anIncompleteSetOfCertificateFilesIsRefusedNamingTheMissingOne() throws Exception {
        try (PghaNode node = PghaNode.inNewDir("pgha-store-tls-bad").withFreePorts()) {
            TestCertificates certs = TestCertificates.create(node.baseDir.resolve("certs"));
            node.env.put("PGHA_TLS_CERT_FILE", certs.cert().toString());
            node.env.put("PGHA_TLS_KEY_FILE", certs.key().toString());
            assertThat(node.runToExit(Duration.ofSeconds(60))).isEqualTo(1);
            assertThat(node.banner())
                    .contains("PGHA_TLS_CA_FILE is not set: give all three of PGHA_TLS_CERT_FILE, PGHA_TLS_KEY_FILE "
                            + "and PGHA_TLS_CA_FILE, or none");
        }
    }
}
