package dev.pgha.app.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pgha.common.PghaException;
import dev.pgha.common.config.RuntimeSettings;
import dev.pgha.common.model.Json;
import dev.pgha.common.model.KeeperStatus;
import dev.pgha.common.model.MemberInfo;
import dev.pgha.common.store.ClusterSnapshot;
import java.io.PrintWriter;
import java.io.Writer;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(
        name = "config",
        mixinStandardHelpOptions = true,
        description = "Show or set postgres parameters, and your pg_hba.conf rules, for every member of the cluster.",
        subcommands = {ConfigCommand.Show.class, ConfigCommand.SetParameters.class, HbaCommand.class})
public final class ConfigCommand extends AdminCommand.Group {
    /** A parameter set for the cluster, with postgres's word for when a change takes effect. */
    record Parameter(String name, String value, String context) {
        boolean needsRestart() {
            return "postmaster".equals(context);
        }
    }

    static String context(Connection c, String name) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT context FROM pg_settings WHERE name = ?")) {
            ps.setString(1, name);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? rs.getString(1) : null;
            }
        }
    }

    /** Members whose postgres has changes waiting for a restart, with those parameters. */
    static Map<String, List<String>> pendingRestarts(Admin admin) {
        Map<String, List<String>> pending = new TreeMap<>();
        ClusterSnapshot s = admin.store().snapshot();
        Map<String, KeeperStatus> keepers = s.keepers();
        for (MemberInfo m : s.members().values()) {
            if (keepers.get(m.id()) == null || !keepers.get(m.id()).pgUp()) {
                continue;
            }
            try (Connection c = admin.connection(m.host(), m.pgPort(), "postgres", "member " + m.id());
                    PreparedStatement ps =
                            c.prepareStatement("SELECT name FROM pg_settings WHERE pending_restart ORDER BY 1");
                    ResultSet rs = ps.executeQuery()) {
                List<String> names = new ArrayList<>();
                while (rs.next()) {
                    names.add(rs.getString(1));
                }
                if (!names.isEmpty()) {
                    pending.put(m.id(), names);
                }
            } catch (SQLException | PghaException e) {
                pending.put(m.id(), List.of("unknown: " + e.getMessage()));
            }
        }
        return pending;
    }

    @Command(
            name = "show",
            mixinStandardHelpOptions = true,
            description =
                    "The cluster settings and where each comes from, the parameters set with pgha config set, and "
                            + "which members still need a restart for them.")
    static final class Show extends AdminCommand {
        @Override
        void run(Admin admin, PrintWriter out) {
            Map<String, String> stored = admin.store().snapshot().parameters();
            List<Parameter> params = onLeader(admin, "cannot read the parameters", c -> {
                List<Parameter> list = new ArrayList<>();
                for (Map.Entry<String, String> e : stored.entrySet()) {
                    list.add(new Parameter(e.getKey(), e.getValue(), context(c, e.getKey())));
                }
                return list;
            });
            Map<String, List<String>> pending = pendingRestarts(admin);
            List<ClusterSettings.Shown> cluster =
                    ClusterSettings.show(admin.store().snapshot().spec());
            if (json()) {
                ObjectNode root = Json.mapper().createObjectNode();
                ArrayNode settings = root.putArray("cluster_settings");
                for (ClusterSettings.Shown c : cluster) {
                    settings.addObject()
                            .put("name", c.name())
                            .put("value", c.value())
                            .put("source", c.source());
                }
                ArrayNode list = root.putArray("parameters");
                for (Parameter p : params) {
                    ObjectNode n = list.addObject();
                    n.put("name", p.name());
                    n.put("value", p.value());
                    n.put("needs_restart", p.needsRestart());
                }
                ObjectNode pr = root.putObject("pending_restart");
                pending.forEach((member, names) -> names.forEach(pr.withArray(member)::add));
                out.print(root.toPrettyString() + "\n");
            } else {
                Table cs = new Table("CLUSTER SETTING", "VALUE", "FROM");
                cluster.forEach(c -> cs.row(c.name(), c.value(), c.source()));
                out.print(cs.render());
                out.println();
                Table t = new Table("NAME", "VALUE", "TAKES EFFECT");
                params.forEach(p -> t.row(p.name(), p.value(), p.needsRestart() ? "on restart" : "on reload"));
                out.print(params.isEmpty() ? "no parameters set (pgha config set NAME=VALUE sets one)\n" : t.render());
                pending.forEach((member, names) -> out.println("pending restart on " + member + ": "
                        + String.join(", ", names) + " (pgha config set --restart restarts the members one by one)"));
            }
        }
    }

    @Command(
            name = "set",
            mixinStandardHelpOptions = true,
            description = {
                "Set postgres parameters on every member: NAME=VALUE (NAME= resets one to its default). "
                        + "Values are checked by postgres on the leader first; nothing is stored if one is refused.",
                "Cluster settings change the same way, at once and without a restart: cluster.failTimeout, "
                        + "cluster.synchronousMode, cluster.synchronousStrict, cluster.maximumLagOnFailover, "
                        + "proxy.holdTimeout (NAME= goes back to each member's configuration).",
                "Parameters that take effect only on restart are reported; --restart then restarts the members "
                        + "one at a time: standbys first, then a switchover, then the old leader."
            })
    static final class SetParameters extends AdminCommand {
        @Parameters(paramLabel = "NAME=VALUE", arity = "0..*")
        List<String> assignments = new ArrayList<>();

        @Option(names = "--restart", description = "Restart the members one at a time (rolling) afterwards.")
        boolean restart;

        private Map<String, String> changes;
        private final Map<String, String> settings = new LinkedHashMap<>();

        @Override
        void validate() {
            if (assignments.isEmpty() && !restart) {
                throw new PghaException("nothing to set: give NAME=VALUE (e.g. work_mem=64MB), or --restart");
            }
            List<String> parameters = new ArrayList<>();
            for (String a : assignments) {
                int eq = a.indexOf('=');
                if (eq > 0 && RuntimeSettings.isPghaKey(a.substring(0, eq).strip())) {
                    settings.put(a.substring(0, eq).strip(), a.substring(eq + 1).strip());
                } else {
                    parameters.add(a);
                }
            }
            ClusterSettings.check(settings);
            changes = ParameterChanges.parse(parameters);
        }

        /** With --json, what happened, printed as one object at the end. */
        private final ObjectNode result = Json.mapper().createObjectNode();

        @Override
        void run(Admin admin, PrintWriter out) {
            PrintWriter lines = json() ? new PrintWriter(Writer.nullWriter()) : out;
            boolean needsRestart = false;
            if (!settings.isEmpty()) {
                ClusterSettings.Outcome o = ClusterSettings.apply(admin.store(), settings);
                o.changes().forEach((name, value) -> {
                    lines.println(
                            value.isEmpty()
                                    ? name + " reset: each member's configuration applies again"
                                    : name + " = " + value
                                            + (o.applied() ? ": in effect on every member" : ": stored"));
                    ObjectNode n = result.withArray("cluster_settings").addObject();
                    n.put("name", name);
                    n.put("value", value.isEmpty() ? null : value);
                });
                if (!o.applied()) {
                    lines.println("no elected sentinel has applied it yet: is a member running? (pgha status)");
                }
                result.put("cluster_settings_applied", o.applied());
            }
            if (!changes.isEmpty()) {
                ParameterChanges.Result applied = ParameterChanges.apply(admin, changes, lines);
                needsRestart = applied.needsRestart();
                for (ParameterChanges.Change c : applied.changed()) {
                    ObjectNode change = result.withArray("changed").addObject();
                    change.put("name", c.name());
                    change.put("value", c.value());
                    change.put("takes_effect", c.needsRestart() ? "restart" : "reload");
                }
            }
            if (restart) {
                RollingRestart.Result r = RollingRestart.run(admin, lines);
                r.restarted().forEach(result.withArray("restarted")::add);
                if (r.switchedOverTo() != null) {
                    result.put("switched_over_to", r.switchedOverTo());
                }
            } else if (needsRestart) {
                lines.println("some changes take effect only after a restart: run pgha config set --restart to "
                        + "restart the members one by one");
            }
            if (json()) {
                result.put("needs_restart", needsRestart && !restart);
                out.print(result.toPrettyString() + "\n");
            }
        }
    }
}
