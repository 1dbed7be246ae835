package dev.pgha.app.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pgha.common.health.Formats;
import dev.pgha.common.model.Json;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** Renders a {@link ClusterStatus} as the status table or as JSON; pure, so both are tested against golden text. */
final class StatusFormat {
    private StatusFormat() {}

    static String table(ClusterStatus s) {
        StringBuilder b = new StringBuilder();
        b.append("Cluster ")
                .append(s.cluster())
                .append(": generation ")
                .append(s.generation())
                .append(", ")
                .append(s.phase())
                .append(s.reason() == null ? "" : " (" + s.reason() + ")")
                .append('\n');
        if (s.pause() != null) {
            b.append("PAUSED ")
                    .append(ClusterPause.describe(s.pause()))
                    .append(": no automatic failover, no automatic start of a stopped postgres; `pgha resume` ends it")
                    .append('\n');
        }
        boolean tagged = s.members().stream().anyMatch(m -> !m.tags().isEmpty());
        List<String> header = new ArrayList<>(
                List.of("ID", "REGION", "ROLE", "STATE", "TIMELINE", "LAG", "CHECKS", "ADDRESS", "UPTIME"));
        if (tagged) {
            header.add("TAGS"); // only when a member has some: the usual table stays as narrow as it was
        }
        boolean grown = s.members().stream().anyMatch(m -> m.store().startsWith("observer"))
                || s.members().stream()
                                .filter(m -> m.store().startsWith("voter"))
                                .count()
                        > 1;
        if (grown) {
            header.add("STORE"); // the member's ZooKeeper server, once the embedded ensemble has more than one
        }
        Table t = new Table(header.toArray(String[]::new));
        for (ClusterStatus.Member m : s.members()) {
            List<Object> cells = new ArrayList<>(Arrays.asList(
                    m.id(),
                    m.region(),
                    m.role(),
                    m.state(),
                    m.timeline() == 0 ? null : m.timeline(),
                    m.lagBytes() == null ? null : Formats.bytes(m.lagBytes()),
                    m.checks() == null
                            ? null
                            : m.checks().passing() + "/" + m.checks().total(),
                    m.address(),
                    m.uptime() == null ? null : uptime(m.uptime())));
            if (tagged) {
                cells.add(m.tags().isEmpty() ? null : m.tags());
            }
            if (grown) {
                cells.add(m.store().isEmpty() ? null : m.store());
            }
            t.row(cells.toArray());
        }
        b.append(t.render());
        if (!s.warnings().isEmpty()) {
            b.append("Warnings:\n");
            s.warnings().forEach(w -> b.append("  ! ").append(w).append('\n'));
        }
        return b.toString();
    }

    static String json(ClusterStatus s) {
        return tree(s).toPrettyString() + "\n";
    }

    static ObjectNode tree(ClusterStatus s) {
        ObjectNode root = Json.mapper().createObjectNode();
        root.put("cluster", s.cluster());
        root.put("generation", s.generation());
        root.put("phase", s.phase().toString());
        root.put("reason", s.reason());
        root.put("leader", s.leader());
        root.put("paused", s.pause() != null);
        root.put("paused_since", s.pause() == null ? null : s.pause().since().toString());
        root.put(
                "paused_until",
                s.pause() == null || s.pause().until() == null
                        ? null
                        : s.pause().until().toString());
        ArrayNode members = root.putArray("members");
        for (ClusterStatus.Member m : s.members()) {
            ObjectNode n = members.addObject();
            n.put("id", m.id());
            n.put("region", m.region());
            n.put("role", m.role());
            n.put("state", m.state());
            if (m.timeline() == 0) {
                n.putNull("timeline");
            } else {
                n.put("timeline", m.timeline());
            }
            n.put("lag_bytes", m.lagBytes());
            if (m.checks() == null) {
                n.putNull("checks");
            } else {
                ObjectNode c = n.putObject("checks");
                c.put("passing", m.checks().passing());
                c.put("total", m.checks().total());
                m.checks().failing().forEach(c.putArray("failing")::add);
            }
            n.put("address", m.address());
            n.put("uptime_seconds", m.uptime() == null ? null : m.uptime().toSeconds());
            n.put("tags", m.tags());
            n.put("store", m.store().isEmpty() ? null : m.store());
        }
        s.warnings().forEach(root.putArray("warnings")::add);
        return root;
    }

    /** 45s, 12m3s, 5h2m, 3d4h. */
    static String uptime(Duration d) {
        long s = d.toSeconds();
        if (s < 60) {
            return s + "s";
        }
        if (s < 3600) {
            return s / 60 + "m" + s % 60 + "s";
        }
        if (s < 86400) {
            return s / 3600 + "h" + s % 3600 / 60 + "m";
        }
        return s / 86400 + "d" + s % 86400 / 3600 + "h";
    }
}
