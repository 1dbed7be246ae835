package dev.pgha.app.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pgha.common.PghaException;
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
            description = "The parameters set with pgha config set, and which members still need a restart for them.")
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
            if (json()) {
                ObjectNode root = Json.mapper().createObjectNode();
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
                "Parameters that take effect only on restart are reported; --restart then restarts the members "
                        + "one at a time: standbys first, then a switchover, then the old leader."
            })
    static final class SetParameters extends AdminCommand {
        @Parameters(paramLabel = "NAME=VALUE", arity = "0..*")
        List<String> assignments = new ArrayList<>();

        @Option(names = "--restart", description = "Restart the members one at a time (rolling) afterwards.")
        boolean restart;

        private Map<String, String> changes;

        @Override
        void validate() {
            if (assignments.isEmpty() && !restart) {
                throw new PghaException("nothing to set: give NAME=VALUE (e.g. work_mem=64MB), or --restart");
            }
            changes = ParameterChanges.parse(assignments);
        }

        /** With --json, what happened, printed as one object at the end. */
        private final ObjectNode result = Json.mapper().createObjectNode();

        @Override
        void run(Admin admin, PrintWriter out) {
            PrintWriter lines = json() ? new PrintWriter(Writer.nullWriter()) : out;
            boolean needsRestart = false;
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
