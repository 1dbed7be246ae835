package dev.pgha.app;

import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalDouble;
import java.util.concurrent.TimeUnit;

/**
 * A real Prometheus server (Debian's prometheus package) scraping one target, so tests see pgha's metrics exactly
 * as a user's Prometheus parses and stores them. Stopped by its pid on {@link #close()}.
 */
final class PrometheusServer implements AutoCloseable {
    static final Path BINARY = Path.of("/usr/bin/prometheus");
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Process process;
    private final int port;
    private final Path log;

    private PrometheusServer(Process process, int port, Path log) {
        this.process = process;
        this.port = port;
        this.log = log;
    }

    static boolean installed() {
        return Files.isExecutable(BINARY);
    }

    /** Starts Prometheus scraping {@code 127.0.0.1:targetPort/metrics} every {@code interval}. */
    static PrometheusServer scraping(Path dir, int targetPort, Duration interval) throws IOException {
        Files.createDirectories(dir);
        Path config = dir.resolve("prometheus.yml");
        long s = interval.toSeconds();
        Files.writeString(config, """
                global:
                  scrape_interval: %ds
                  scrape_timeout: %ds
                scrape_configs:
                  - job_name: pgha
                    static_configs:
                      - targets: ['127.0.0.1:%d']
                """.formatted(s, s, targetPort));
        int port = PghaNode.freePort();
        Path log = dir.resolve("prometheus.log");
        Process p = new ProcessBuilder(
                        BINARY.toString(),
                        "--config.file=" + config,
                        "--storage.tsdb.path=" + dir.resolve("tsdb"),
                        "--web.listen-address=127.0.0.1:" + port,
                        "--log.level=warn")
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
        PrometheusServer server = new PrometheusServer(p, port, log);
        try {
            await().atMost(Duration.ofSeconds(60))
                    .ignoreExceptions()
                    .until(() -> HttpProbe.get(port, "/-/ready").status() == 200);
        } catch (RuntimeException e) {
            server.close();
            throw new AssertionError("prometheus did not become ready:\n" + server.log(), e);
        }
        return server;
    }

    /** The value of an instant query that yields one series, if it yields any. */
    OptionalDouble value(String promql) throws IOException, InterruptedException {
        JsonNode result = query(promql);
        if (result.isEmpty()) {
            return OptionalDouble.empty();
        }
        return OptionalDouble.of(
                Double.parseDouble(result.get(0).get("value").get(1).asText()));
    }

    JsonNode query(String promql) throws IOException, InterruptedException {
        HttpProbe.Reply r =
                HttpProbe.get(port, "/api/v1/query?query=" + URLEncoder.encode(promql, StandardCharsets.UTF_8));
        JsonNode root = JSON.readTree(r.body());
        if (!"success".equals(root.path("status").asText())) {
            throw new AssertionError("query " + promql + " failed: " + r.body());
        }
        return root.get("data").get("result");
    }

    /** Every metric name Prometheus has stored from the target. */
    List<String> metricNames() throws IOException, InterruptedException {
        JsonNode root = JSON.readTree(
                HttpProbe.get(port, "/api/v1/label/__name__/values").body());
        List<String> names = new ArrayList<>();
        root.get("data").forEach(n -> names.add(n.asText()));
        return names;
    }

    /** The last scrape's error as Prometheus reports it ("" when it succeeded). */
    String lastScrapeError() throws IOException, InterruptedException {
        JsonNode root = JSON.readTree(HttpProbe.get(port, "/api/v1/targets").body());
        JsonNode active = root.get("data").get("activeTargets");
        return active.isEmpty()
                ? "no target yet"
                : active.get(0).path("lastError").asText();
    }

    String log() {
        try {
            return Files.readString(log);
        } catch (IOException e) {
            return "";
        }
    }

    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(20, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
    }
}
