package dev.pgha.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pgha.common.tls.PemFiles;
import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.SslContext;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult.HandshakeStatus;
import javax.net.ssl.SSLException;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Server contexts from key and certificate files as operators and the keeper write them (made with the openssl
 * command line): each serves a real TLS handshake to a client that trusts the certificate, whichever reader took the
 * key.
 */
class ServerKeyFilesTest {
    @TempDir
    Path dir;

    private void openssl(String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("openssl"));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor())
                .as("openssl %s: %s", String.join(" ", args), out)
                .isZero();
    }

    /** A key in the given form and a self-signed certificate for it. */
    private Path[] keyAndCertificate(String form) throws Exception {
        Path key = dir.resolve(form + ".key");
        Path cert = dir.resolve(form + ".crt");
        switch (form) {
            case "pkcs8-ec" ->
                openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", key.toString());
            case "pkcs8-rsa" ->
                openssl("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", key.toString());
            case "sec1-ec" -> openssl("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", key.toString());
            case "pkcs1-rsa" -> openssl("genrsa", "-traditional", "-out", key.toString(), "2048");
            default -> throw new IllegalArgumentException(form);
        }
        openssl(
                "req",
                "-x509",
                "-key",
                key.toString(),
                "-subj",
                "/CN=localhost",
                "-days",
                "1",
                "-out",
                cert.toString());
        return new Path[] {key, cert};
    }

    @ParameterizedTest
    @CsvSource({
        "pkcs8-ec, BEGIN PRIVATE KEY, true",
        "pkcs8-rsa, BEGIN PRIVATE KEY, true",
        "sec1-ec, BEGIN EC PRIVATE KEY, false",
        "pkcs1-rsa, BEGIN RSA PRIVATE KEY, false"
    })
    void aContextFromEachKeyFormServesAHandshake(String form, String header, boolean readByTheJdk) throws Exception {
        Path[] files = keyAndCertificate(form);
        assertThat(Files.readString(files[0])).startsWith("-----" + header + "-----");
        assertThat(PemFiles.pkcs8Key(files[0]).isPresent())
                .as("read by the JDK")
                .isEqualTo(readByTheJdk);

        SslContext context = ServerKeyFiles.serverContext(files[1], files[0], null, ClientAuth.NONE);

        assertThat(handshake(context, files[1])).isEqualTo(certificate(files[1]));
    }

    @Test
    void filesThatAreNoKeyOrNoCertificateAreRefusedNamingTheCause() throws Exception {
        Path[] files = keyAndCertificate("pkcs8-ec");
        Path garbage = Files.writeString(dir.resolve("garbage.key"), "not a key\n");
        assertThat(PemFiles.pkcs8Key(garbage)).isEmpty();
        assertThatThrownBy(() -> ServerKeyFiles.serverContext(files[1], garbage, null, ClientAuth.NONE))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("private key");
        Path noCertificate = Files.writeString(dir.resolve("empty.crt"), "");
        assertThatThrownBy(() -> ServerKeyFiles.serverContext(noCertificate, files[0], null, ClientAuth.NONE))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("empty.crt");
        assertThatThrownBy(() -> MemberTls.server(files[1], dir.resolve("missing.key"), files[1]))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("for the HTTP port: no such file " + dir.resolve("missing.key"));
    }

    private static X509Certificate certificate(Path file) throws Exception {
        try (InputStream in = Files.newInputStream(file)) {
            return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
        }
    }

    /** Runs a TLS handshake in memory between the context's engine and a client trusting {@code cert}. */
    private static X509Certificate handshake(SslContext context, Path cert) throws Exception {
        KeyStore trusted = KeyStore.getInstance("PKCS12");
        trusted.load(null, null);
        trusted.setCertificateEntry("server", certificate(cert));
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trusted);
        SSLContext clientContext = SSLContext.getInstance("TLS");
        clientContext.init(null, tmf.getTrustManagers(), null);
        SSLEngine client = clientContext.createSSLEngine("localhost", 5432);
        client.setUseClientMode(true);
        SSLEngine server = context.newEngine(ByteBufAllocator.DEFAULT);
        ByteBuffer toServer = ByteBuffer.allocate(1 << 17);
        ByteBuffer toClient = ByteBuffer.allocate(1 << 17);
        client.beginHandshake();
        server.beginHandshake();
        for (int i = 0; i < 50 && !(done(client) && done(server)); i++) {
            send(client, toServer, server);
            send(server, toClient, client);
        }
        assertThat(done(client) && done(server)).as("the handshake finished").isTrue();
        return (X509Certificate) client.getSession().getPeerCertificates()[0];
    }

    /** What {@code from} has to send, through {@code wire}, read by {@code to}. */
    private static void send(SSLEngine from, ByteBuffer wire, SSLEngine to) throws SSLException {
        from.wrap(ByteBuffer.allocate(0), wire);
        runTasks(from);
        wire.flip();
        to.unwrap(wire, ByteBuffer.allocate(1 << 17));
        wire.compact();
        runTasks(to);
    }

    private static boolean done(SSLEngine engine) {
        HandshakeStatus s = engine.getHandshakeStatus();
        return s == HandshakeStatus.NOT_HANDSHAKING || s == HandshakeStatus.FINISHED;
    }

    private static void runTasks(SSLEngine engine) {
        Runnable task;
        while ((task = engine.getDelegatedTask()) != null) {
            task.run();
        }
    }
}
