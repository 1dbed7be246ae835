package dev.pgha.app;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real S3-compatible server for the backup tests: Adobe S3Mock as a separate JVM on 127.0.0.1, serving HTTPS with
 * a certificate for localhost signed by a test CA (pgBackRest verifies it against {@link #caFile()}), with one bucket.
 * Its classpath comes from the s3server module (system property s3mock.classpath). {@link #close()} stops it.
 */
final class S3Server implements AutoCloseable {
    static final String BUCKET = "backups";
    private static final String STORE_PASSWORD = "s3mock-test-store";

    private final Process process;
    private final int port;
    private final Path caFile;
    private final Path log;

    private S3Server(Process process, int port, Path caFile, Path log) {
        this.process = process;
        this.port = port;
        this.caFile = caFile;
        this.log = log;
    }

    static S3Server start(Path dir) throws IOException, InterruptedException {
        Path classpathFile = Path.of(System.getProperty("s3mock.classpath", "../s3server/target/s3mock.classpath"));
        if (!Files.isRegularFile(classpathFile)) {
            throw new IllegalStateException(classpathFile + " is missing: build the s3server module first (mvn verify"
                    + " from the repository root builds it before app)");
        }
        TestCertificates certs = TestCertificates.create(dir.resolve("tls"));
        Path keystore = dir.resolve("s3mock.p12");
        run(List.of(
                "openssl",
                "pkcs12",
                "-export",
                "-in",
                certs.cert().toString(),
                "-inkey",
                certs.key().toString(),
                "-out",
                keystore.toString(),
                "-passout",
                "pass:" + STORE_PASSWORD,
                "-name",
                "s3mock"));
        int port = PghaNode.freePort();
        Path root = Files.createDirectories(dir.resolve("objects"));
        Path log = dir.resolve("s3mock.log");
        Process p = new ProcessBuilder(
                        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                        "-Xmx256m",
                        "-XX:TieredStopAtLevel=1",
                        "-cp",
                        Files.readString(classpathFile).strip(),
                        "com.adobe.testing.s3mock.S3MockApplication",
                        "--server.address=127.0.0.1",
                        "--server.port=" + port,
                        "--server.ssl.key-store=file:" + keystore,
                        "--server.ssl.key-store-type=PKCS12",
                        "--server.ssl.key-store-password=" + STORE_PASSWORD,
                        "--server.ssl.key-password=" + STORE_PASSWORD,
                        "--server.ssl.key-alias=s3mock",
                        "--com.adobe.testing.s3mock.http-port=" + PghaNode.freePort(),
                        "--com.adobe.testing.s3mock.store.initial-buckets=" + BUCKET,
                        "--com.adobe.testing.s3mock.store.root=" + root)
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
        S3Server server = new S3Server(p, port, certs.ca(), log);
        try {
            await().atMost(Duration.ofSeconds(90))
                    .pollInterval(Duration.ofMillis(200))
                    .until(() -> {
                        if (!p.isAlive()) {
                            throw new IllegalStateException("S3Mock exited:\n" + Files.readString(log));
                        }
                        return Files.readString(log).contains("Started S3MockApplication") && answers(port);
                    });
        } catch (RuntimeException e) {
            server.close();
            throw e;
        }
        return server;
    }

    private static boolean answers(int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 500);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** localhost (not the IP address: pgBackRest matches the certificate's DNS names) and the port. */
    String endpoint() {
        return "localhost:" + port;
    }

    Path caFile() {
        return caFile;
    }

    /** Stops accepting connections (the repository is unreachable) until {@link #resume()}. */
    void pause() throws InterruptedException {
        PghaNode.signal(process.pid(), "STOP");
    }

    void resume() throws InterruptedException {
        PghaNode.signal(process.pid(), "CONT");
    }

    String log() throws IOException {
        return Files.readString(log);
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            process.destroy();
            if (!process.waitFor(20, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    private static void run(List<String> cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IOException(String.join(" ", cmd) + " failed: " + out);
        }
    }
}
