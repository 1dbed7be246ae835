package dev.pgha.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The surfaces health-check scripts, load balancers and Prometheus use, against a running node: Fly's /flycheck
 * endpoints, Patroni's, {@code pgha check}, /metrics as a real Prometheus scrapes it, hostile HTTP, and the log
 * stream (JSON lines, never a secret).
 */
class HealthIT {
    private static final Duration READY = Duration.ofSeconds(90);
    /** A check line: [✓] or [✗], a message, and how long it took in parentheses. */
    private static final Pattern LINE = Pattern.compile("\\[[✓✗]\\] .+ \\(\\d+(\\.\\d+)?(ns|µs|ms|s)\\)");

    private static final ObjectMapper JSON = new ObjectMapper();

    private static PghaNode node;
    private static String password;

    @BeforeAll
    static void startNode() throws Exception {
        node = PghaNode.inNewDir("pgha-health").withFreePorts();
        // a short check timeout: a scrape of a stopped postgres answers within Prometheus's 2 s scrape timeout
        Files.createDirectories(node.dataDir);
        Files.writeString(node.dataDir.resolve("pgha.conf"), "health.checkTimeout = 1s\n");
        node.start().awaitReady(READY);
        password = node.printedPassword().orElseThrow();
    }

    @AfterAll
    static void stopNode() throws Exception {
        if (node != null) {
            node.close();
        }
    }

    @Test
    void flyAndPatroniChecksOnALeader() throws Exception {
        HttpProbe.Reply vm = HttpProbe.get(node.httpPort(), "/flycheck/vm");
        assertThat(vm.lines()).allMatch(l -> LINE.matcher(l).matches(), "check line format");
        assertThat(vm.lines().get(0))
                .matches("\\[✓\\] [\\d.]+ (B|kB|MB|GB|TB) \\([\\d.]+%\\) free space on "
                        + Pattern.quote(node.dataDir + "/") + " .*");
        assertThat(vm.lines().get(1)).matches("\\[[✓✗]\\] load averages: [\\d.]+ [\\d.]+ [\\d.]+.*");
        if (Files.exists(Path.of("/proc/pressure/memory"))) {
            assertThat(vm.body())
                    .containsPattern("memory: [\\d.]+s waiting over the last 60s|system spent [\\d.]+ of "
                            + "the last 10 seconds waiting for memory");
        }
        assertThat(vm.status()).isEqualTo(vm.body().contains("[✗]") ? 500 : 200);

        HttpProbe.Reply pg = HttpProbe.get(node.httpPort(), "/flycheck/pg");
        assertThat(pg.status()).as(pg.body()).isEqualTo(200);
        assertThat(pg.lines()).allMatch(l -> LINE.matcher(l).matches(), "check line format");
        assertThat(messages(pg))
                .containsExactly(
                        "[✓] replication: currently leader",
                        "[✓] transactions: read/write",
                        "[✓] connections: N used, 3 reserved, 300 max");

        assertThat(HttpProbe.get(node.httpPort(), "/flycheck/role")).isEqualTo(new HttpProbe.Reply(200, "leader\n"));
        for (String writable : List.of(
                "/primary", "/leader", "/master", "/read-write", "/read-only", "/health", "/readiness", "/liveness")) {
            assertThat(HttpProbe.get(node.httpPort(), writable).status())
                    .as(writable)
                    .isEqualTo(200);
        }
        for (String standbyOnly : List.of("/replica", "/replica?lag=16MB", "/sync", "/async")) {
            assertThat(HttpProbe.get(node.httpPort(), standbyOnly).status())
                    .as(standbyOnly)
                    .isEqualTo(503);
        }
        JsonNode cluster =
                JSON.readTree(HttpProbe.get(node.httpPort(), "/cluster").body());
        assertThat(cluster.get("members")).hasSize(1);
        assertThat(cluster.get("members").get(0).get("role").asText()).isEqualTo("leader");
        assertThat(cluster.get("members").get(0).get("state").asText()).isEqualTo("running");
        assertThat(cluster.get("members").get(0).get("port").asInt()).isEqualTo(node.pgPort());
        JsonNode history =
                JSON.readTree(HttpProbe.get(node.httpPort(), "/history").body());
        assertThat(history.get(history.size() - 1).get("new_leader").asText()).isEqualTo(node.memberId());
        assertThat(HttpProbe.get(node.httpPort(), "/nothing-here").status()).isEqualTo(404);

        // pgha check: the same lines on stdout, exit 0 passing / 1 failing / 2 cannot check
        String url = "http://127.0.0.1:" + node.httpPort();
        PghaCli.Result pgCheck = cli("check", "pg", "--url", url);
        assertThat(pgCheck.code()).as(pgCheck.err()).isZero();
        assertThat(pgCheck.out()).contains("[✓] replication: currently leader");
        PghaCli.Result role = cli("check", "role", "--url", url);
        assertThat(role.code()).isZero();
        assertThat(role.out()).isEqualTo("leader\n");
        PghaCli.Result nowhere = cli("check", "vm", "--url", "http://127.0.0.1:" + PghaNode.freePort());
        assertThat(nowhere.code()).isEqualTo(2);
        assertThat(nowhere.err())
                .startsWith("pgha check: cannot connect to http://127.0.0.1:")
                .contains("is pgha running there");
        assertThat(cli("check", "disk").code()).isEqualTo(2); // usage error: picocli names the valid values
    }

    @Test
    void metricsAsPrometheusScrapesThemAndPgUpWhilePostgresIsStopped() throws Exception {
        Assumptions.assumeTrue(
                PrometheusServer.installed(),
                "prometheus is not installed (scripts/test.sh installs "
                        + "it: apt-get install prometheus); skipping the scrape test");
        // traffic through the proxy, so its counters move
        PgTools.Result q = PgTools.psql(node.proxyUrl(password), "SELECT 1");
        assertThat(q.exitCode()).isZero();
        try (PrometheusServer prometheus = PrometheusServer.scraping(
                node.baseDir.resolve("prometheus"), node.metricsPort(), Duration.ofSeconds(2))) {
            await().atMost(Duration.ofSeconds(30))
                    .until(() -> prometheus.value("up").orElse(0) == 1);
            assertThat(prometheus.lastScrapeError()).isEmpty();
            await().atMost(Duration.ofSeconds(10))
                    .until(() -> prometheus.value("pg_up").orElse(-1) == 1);
            assertThat(prometheus.metricNames())
                    .contains(
                            "pg_up",
                            "pg_stat_database_numbackends",
                            "pg_stat_database_xact_commit",
                            "pg_stat_database_xact_rollback",
                            "pg_stat_database_blks_read",
                            "pg_stat_database_blks_hit",
                            "pg_stat_database_tup_returned",
                            "pg_stat_database_tup_fetched",
                            "pg_stat_database_tup_inserted",
                            "pg_stat_database_tup_updated",
                            "pg_stat_database_tup_deleted",
                            "pg_stat_database_conflicts",
                            "pg_stat_database_deadlocks",
                            "pg_stat_activity_count",
                            "pg_settings_max_connections",
                            "pg_database_size_bytes",
                            "pg_replication_lag",
                            "pgha_is_leader",
                            "pgha_cluster_generation",
                            "pgha_leader_changes_total",
                            "pgha_failover_duration_seconds_count",
                            "pgha_proxy_connections_active",
                            "pgha_proxy_connections_total",
                            "pgha_proxy_refused_total",
                            "pgha_proxy_bytes_total",
                            "pgha_keeper_healthy",
                            "pgha_store_connected",
                            "pgha_sync_standbys",
                            "pgha_synchronous_mode",
                            "pgha_cluster_paused",
                            "pgha_cluster_paused_since_seconds",
                            "pgha_replication_streaming",
                            "pgha_data_volume_used_percent",
                            "pgha_data_volume_readonly_percent",
                            "jvm_memory_used_bytes",
                            "process_cpu_usage",
                            "process_uptime_seconds");
            // a single member: synchronous mode auto asks for no synchronous standby
            assertThat(prometheus.value("pgha_synchronous_mode").orElse(-1)).isZero();
            assertThat(prometheus.value("pgha_data_volume_used_percent").orElse(-1))
                    .isGreaterThan(0)
                    .isLessThanOrEqualTo(100);
            assertThat(prometheus.value("pgha_data_volume_readonly_percent").orElse(-1))
                    .isEqualTo(90);
            assertThat(prometheus
                            .value("pg_stat_database_xact_commit{datname=\"postgres\"}")
                            .orElse(0))
                    .isPositive();
            assertThat(prometheus.value("pg_settings_max_connections").orElse(0))
                    .isEqualTo(300);
            assertThat(prometheus.value("pgha_is_leader").orElse(0)).isEqualTo(1);
            assertThat(prometheus.value("pgha_proxy_connections_total").orElse(0))
                    .isGreaterThanOrEqualTo(1);
            assertThat(prometheus
                            .value("pgha_proxy_bytes_total{direction=\"out\"}")
                            .orElse(0))
                    .isPositive();
            assertThat(prometheus
                            .value("sum(pg_stat_activity_count{datname=\"postgres\"})")
                            .orElse(0))
                    .isPositive();

            // postgres stopped (SIGSTOP of the postmaster: it accepts nothing): scrapes still succeed, with pg_up 0
            long postmaster = node.postmasterPid().orElseThrow();
            PghaNode.signal(postmaster, "STOP");
            try {
                await().atMost(Duration.ofSeconds(30))
                        .until(() -> prometheus.value("pg_up").orElse(-1) == 0);
                assertThat(prometheus.value("up").orElse(0)).isEqualTo(1);
                assertThat(HttpProbe.get(node.httpPort(), "/flycheck/role"))
                        .isEqualTo(new HttpProbe.Reply(500, "offline\n"));
                HttpProbe.Reply pg = HttpProbe.get(node.httpPort(), "/flycheck/pg");
                assertThat(pg.status()).isEqualTo(500);
                assertThat(pg.body()).startsWith("[✗] postgres: not answering on port " + node.pgPort());
            } finally {
                PghaNode.signal(postmaster, "CONT");
            }
            await().atMost(Duration.ofSeconds(30))
                    .until(() -> prometheus.value("pg_up").orElse(-1) == 1);
            assertThat(node.out()).contains("[check] pg: failing: [✗] postgres: not answering on port");
        }
        // promtool parses the text format as Prometheus does; lint remarks about names pgha must keep are allowed
        Path scraped = node.baseDir.resolve("metrics.txt");
        Files.writeString(scraped, HttpProbe.get(node.metricsPort(), "/metrics").body());
        Process promtool = new ProcessBuilder("promtool", "check", "metrics")
                .redirectInput(scraped.toFile())
                .redirectErrorStream(true)
                .start();
        String lint = new String(promtool.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(promtool.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(lint).doesNotContain("error while linting").doesNotContain("parsing error");
        assertThat(promtool.exitValue()).as(lint).isIn(0, 3);
    }

    @Test
    void malformedHttpGetsA400OrACloseAndTheServerKeepsServing() throws Exception {
        int port = node.httpPort();
        assertThat(rawExchange(port, "GARBAGE\u0000\u0001\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1)))
                .satisfiesAnyOf(
                        r -> assertThat(r).startsWith("HTTP/1.1 400"),
                        r -> assertThat(r).isEmpty());
        assertThat(rawExchange(
                        port,
                        ("GET /flycheck/role HTTP/1.1\r\nHost: x\r\nX-Big: " + "a".repeat(64 * 1024) + "\r\n\r\n")
                                .getBytes(StandardCharsets.US_ASCII)))
                .satisfiesAnyOf(
                        r -> assertThat(r).startsWith("HTTP/1.1 400"),
                        r -> assertThat(r).isEmpty());
        assertThat(rawExchange(
                        port, ("GET /" + "x".repeat(20_000) + " HTTP/1.1\r\n\r\n").getBytes(StandardCharsets.US_ASCII)))
                .satisfiesAnyOf(
                        r -> assertThat(r).startsWith("HTTP/1.1 400"),
                        r -> assertThat(r).isEmpty());
        assertThat(rawExchange(
                        port,
                        "POST /primary HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n"
                                .getBytes(StandardCharsets.US_ASCII)))
                .startsWith("HTTP/1.1 405");

        // Slowloris from one address (127.0.0.2): 50 connections that send a header line now and then but never
        // finish. They are cut off, and meanwhile everyone else (127.0.0.1) is served.
        List<Socket> slow = new ArrayList<>();
        try {
            for (int i = 0; i < 50; i++) {
                Socket s = new Socket("127.0.0.1", port, InetAddress.getByName("127.0.0.2"), 0);
                s.getOutputStream()
                        .write("GET /flycheck/role HTTP/1.1\r\nHost: x\r\n".getBytes(StandardCharsets.US_ASCII));
                slow.add(s);
            }
            long start = System.nanoTime();
            int stillOpen = slow.size();
            while (stillOpen > 0 && System.nanoTime() - start < TimeUnit.SECONDS.toNanos(30)) {
                assertThat(HttpProbe.get(port, "/flycheck/role").status()).isEqualTo(200);
                stillOpen = 0;
                for (Socket s : slow) {
                    if (!closedByServer(s)) {
                        stillOpen++;
                    }
                }
                Thread.sleep(1000);
            }
            assertThat(stillOpen).as("slow connections still open after 30 s").isZero();
        } finally {
            for (Socket s : slow) {
                s.close();
            }
        }
        assertThat(HttpProbe.get(port, "/flycheck/role")).isEqualTo(new HttpProbe.Reply(200, "leader\n"));
    }

    @Test
    void jsonLogLinesNeverCarryASecretAndAFullDiskFailsTheVmCheck() throws Exception {
        try (PghaNode other = PghaNode.inNewDir("pgha-health-json").withFreePorts()) {
            other.env.put("PGHA_LOG_FORMAT", "json");
            other.env.put("PGHA_CHECK_DISK_MIN_FREE", "100"); // no real volume has 100% free: the check must fail
            other.start();
            await().atMost(READY).until(() -> other.out().contains("ready: clients connect to port"));

            HttpProbe.Reply vm = HttpProbe.get(other.httpPort(), "/flycheck/vm");
            assertThat(vm.status()).isEqualTo(500);
            assertThat(vm.lines().get(0))
                    .matches(
                            "\\[✗\\] [\\d.]+ (B|kB|MB|GB|TB) \\([\\d.]+%\\) free space on .*: "
                                    + "below the 100% minimum \\(health\\.diskMinFreePercent\\); free space or grow the volume \\(.+\\)");
            PghaCli.Result check = cli("check", "vm", "--url", "http://127.0.0.1:" + other.httpPort());
            assertThat(check.code()).isEqualTo(1);
            assertThat(check.out()).startsWith("[✗] ");

            // The log stream (stdout): JSON lines only, with the fields of the text format.
            assertThat(other.stop(Duration.ofSeconds(60))).isZero();
            List<String> lines = other.out().lines().toList();
            assertThat(lines).isNotEmpty();
            List<String> components = new ArrayList<>();
            for (String line : lines) {
                JsonNode event = JSON.readTree(line);
                assertThat(event.fieldNames()).toIterable().contains("time", "level", "component", "message");
                components.add(event.get("component").asText());
            }
            assertThat(components).contains("pgha", "keeper", "sentinel", "proxy", "postgres", "zookeeper", "check");
            assertThat(other.out()).contains("vm: failing: [✗]");

            // No generated password anywhere in the log.
            JsonNode secrets =
                    JSON.readTree(other.dataDir.resolve("pgha/secrets").toFile());
            assertThat(secrets.size())
                    .as("three passwords and the store secret")
                    .isEqualTo(4);
            for (JsonNode secret : secrets) {
                assertThat(other.out()).doesNotContain(secret.asText());
            }
        }
        // and none in the text log of the shared node either
        JsonNode secrets = JSON.readTree(node.dataDir.resolve("pgha/secrets").toFile());
        for (JsonNode secret : secrets) {
            assertThat(node.out()).doesNotContain(secret.asText());
        }
    }

    /** Check lines with their timing and the connection count replaced, for exact comparison. */
    private static List<String> messages(HttpProbe.Reply r) {
        return r.lines().stream()
                .map(l ->
                        l.replaceAll(" \\([^()]+\\)$", "").replaceAll("connections: \\d+ used", "connections: N used"))
                .toList();
    }

    /** Sends raw bytes, returns what came back before the server closed (or 5 s of silence). */
    private static String rawExchange(int port, byte[] request) throws IOException {
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout(5000);
            OutputStream out = s.getOutputStream();
            try {
                out.write(request);
                out.flush();
            } catch (IOException closedWhileSending) {
                return "";
            }
            InputStream in = s.getInputStream();
            byte[] buf = in.readNBytes(200);
            return new String(buf, StandardCharsets.ISO_8859_1);
        } catch (SocketTimeoutException e) {
            throw new AssertionError("the server neither answered nor closed the connection within 5 s");
        }
    }

    private static boolean closedByServer(Socket s) {
        try {
            s.setSoTimeout(1);
            return s.getInputStream().read() == -1;
        } catch (SocketTimeoutException e) {
            return false;
        } catch (IOException e) {
            return true;
        }
    }

    private static PghaCli.Result cli(String... args) throws IOException, InterruptedException {
        return PghaCli.run(null, args);
    }
}
