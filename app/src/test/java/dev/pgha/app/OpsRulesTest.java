package dev.pgha.app;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The alerting rules and the Grafana dashboard under ops/: promtool (Debian's prometheus package) checks the rules and
 * runs their tests (each alert fires on the series that should fire it, and not beside them), every alert has such a
 * test, and every dashboard query is PromQL promtool accepts. Which series they read is checked against a live
 * cluster's scrape in BackupIT.
 */
class OpsRulesTest {

    @Test
    void promtoolAcceptsTheRulesAndTheirTestsPass() throws Exception {
        assertThat(promtool(
                        OpsFiles.rules().getParent(),
                        "check",
                        "rules",
                        OpsFiles.rules().toString()))
                .contains("SUCCESS");
        assertThat(promtool(
                        OpsFiles.rules().getParent(),
                        "test",
                        "rules",
                        OpsFiles.rulesTest().toString()))
                .contains("SUCCESS");
    }

    @Test
    void everyAlertHasATest() throws IOException {
        assertThat(OpsFiles.alertNames()).hasSizeGreaterThanOrEqualTo(10);
        assertThat(OpsFiles.testedAlertNames()).containsAll(OpsFiles.alertNames());
    }

    @Test
    void everyDashboardPanelQueriesPromQlThatPromtoolAccepts(@TempDir Path dir) throws Exception {
        JsonNode dashboard = new ObjectMapper().readTree(OpsFiles.dashboard().toFile());
        Set<Integer> ids = new HashSet<>();
        for (JsonNode panel : OpsFiles.panels(dashboard)) {
            assertThat(ids.add(panel.path("id").asInt()))
                    .as("panel id %s is unique", panel.path("id"))
                    .isTrue();
            if (!panel.path("type").asText().equals("row")) {
                assertThat(panel.path("targets"))
                        .as(panel.path("title").asText())
                        .isNotEmpty();
                panel.path("targets")
                        .forEach(t -> assertThat(t.path("expr").asText()).isNotBlank());
            }
        }
        // each query as a recording rule, with Grafana's variables as a user's dashboard would substitute them
        List<String> rules = new ArrayList<>(List.of("groups:", "  - name: dashboard", "    rules:"));
        List<String> exprs = OpsFiles.dashboardExpressions();
        for (int i = 0; i < exprs.size(); i++) {
            String expr = exprs.get(i).replace("$__rate_interval", "1m").replace("$cluster", "app");
            rules.add("      - record: dashboard:query_" + i + ":value");
            rules.add("        expr: '" + expr.replace("'", "''") + "'");
        }
        Path file = dir.resolve("dashboard-queries.yml");
        Files.write(file, rules);
        assertThat(promtool(dir, "check", "rules", file.toString())).contains("SUCCESS: " + exprs.size() + " rules");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(
            delimiter = '|',
            value = {
                "pg_up == 0 | pg_up",
                "max by (cluster) (pgha_is_leader) == 0 | pgha_is_leader",
                "increase(pg_stat_archiver_failed_count{cluster=\"a\",state=~\"x.y\"}[5m]) > 1e6"
                        + " and on (cluster, member) pgha_is_leader == 1 | pg_stat_archiver_failed_count pgha_is_leader",
                "time() - max by (type) (pgha_backup_last_success_timestamp_seconds{cluster=\"$cluster\"}) offset 5m"
                        + " | pgha_backup_last_success_timestamp_seconds",
                "sum by (member) (rate(pgha_proxy_refused_total[$__rate_interval])) / ignoring(x) group_left(y)"
                        + " up | pgha_proxy_refused_total up",
                "jvm_memory_used_bytes{area=\"heap\"} unless foo:bar_rate5m > bool 0 | foo:bar_rate5m jvm_memory_used_bytes",
            })
    void promQlNamesAreTheMetricsAnExpressionReads(String expr, String names) {
        assertThat(PromQlNames.of(expr)).containsExactlyInAnyOrder(names.split(" "));
    }

    private static String promtool(Path dir, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("promtool"));
        command.addAll(List.of(args));
        Process p;
        try {
            p = new ProcessBuilder(command)
                    .directory(dir.toFile())
                    .redirectErrorStream(true)
                    .start();
        } catch (IOException e) {
            throw new AssertionError(
                    "promtool is missing: install Debian's prometheus package (scripts/test.sh does)", e);
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue())
                .as("promtool %s:%n%s", String.join(" ", args), out)
                .isZero();
        return out;
    }
}
