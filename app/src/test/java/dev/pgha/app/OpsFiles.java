package dev.pgha.app;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The dashboard and the alerting rules pgha ships under ops/, and the PromQL they query. */
final class OpsFiles {
    private static final Pattern LABEL_VALUES = Pattern.compile("label_values\\(\\s*([^,)]+)\\s*,");

    private OpsFiles() {}

    static Path dir() {
        return Path.of(System.getProperty("pgha.ops.dir", "../ops"));
    }

    static Path rules() {
        return dir().resolve("prometheus/pgha-rules.yml");
    }

    static Path rulesTest() {
        return dir().resolve("prometheus/pgha-rules.test.yml");
    }

    static Path dashboard() {
        return dir().resolve("grafana/pgha.json");
    }

    /** Every alerting or recording rule's expression. */
    static List<String> ruleExpressions() throws IOException {
        List<String> exprs = new ArrayList<>();
        for (JsonNode rule : rulesOf(new YAMLMapper().readTree(rules().toFile()))) {
            exprs.add(rule.path("expr").asText());
        }
        return exprs;
    }

    /** The alert names the rules define. */
    static Set<String> alertNames() throws IOException {
        Set<String> names = new TreeSet<>();
        for (JsonNode rule : rulesOf(new YAMLMapper().readTree(rules().toFile()))) {
            if (rule.has("alert")) {
                names.add(rule.get("alert").asText());
            }
        }
        return names;
    }

    /** The alert names promtool's tests check, with or without alerts expected. */
    static Set<String> testedAlertNames() throws IOException {
        Set<String> names = new TreeSet<>();
        for (JsonNode test : new YAMLMapper().readTree(rulesTest().toFile()).path("tests")) {
            for (JsonNode check : test.path("alert_rule_test")) {
                names.add(check.path("alertname").asText());
            }
        }
        return names;
    }

    private static List<JsonNode> rulesOf(JsonNode file) {
        List<JsonNode> rules = new ArrayList<>();
        file.path("groups").forEach(g -> g.path("rules").forEach(rules::add));
        return rules;
    }

    /** The PromQL of every panel (rows' nested panels too), annotation and query variable of the dashboard. */
    static List<String> dashboardExpressions() throws IOException {
        JsonNode d = new ObjectMapper().readTree(dashboard().toFile());
        List<String> exprs = new ArrayList<>();
        for (JsonNode panel : panels(d)) {
            panel.path("targets").forEach(t -> exprs.add(t.path("expr").asText()));
        }
        d.path("annotations").path("list").forEach(a -> {
            if (a.has("expr")) {
                exprs.add(a.get("expr").asText());
            }
        });
        d.path("templating").path("list").forEach(v -> {
            Matcher m = LABEL_VALUES.matcher(v.path("definition").asText());
            if (m.find()) {
                exprs.add(m.group(1));
            }
        });
        return exprs;
    }

    static List<JsonNode> panels(JsonNode dashboard) {
        List<JsonNode> all = new ArrayList<>();
        for (JsonNode p : dashboard.path("panels")) {
            all.add(p);
            p.path("panels").forEach(all::add);
        }
        return all;
    }

    /** The metric names the dashboard and the rules read. */
    static Set<String> metricNames() throws IOException {
        Set<String> names = new TreeSet<>();
        ruleExpressions().forEach(e -> names.addAll(PromQlNames.of(e)));
        dashboardExpressions().forEach(e -> names.addAll(PromQlNames.of(e)));
        return names;
    }

    /** The sample names in a Prometheus text-format scrape. */
    static Set<String> scrapedNames(String scrape) {
        Set<String> names = new TreeSet<>();
        for (String line : scrape.split("\n")) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            int end = 0;
            while (end < line.length() && line.charAt(end) != '{' && line.charAt(end) != ' ') {
                end++;
            }
            names.add(line.substring(0, end));
        }
        return names;
    }
}
