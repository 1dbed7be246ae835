package dev.pgha.app.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pgha.common.PghaException;
import dev.pgha.common.model.Json;
import dev.pgha.common.model.KeeperStatus;
import dev.pgha.common.model.MemberInfo;
import dev.pgha.common.model.ParameterRules;
import dev.pgha.common.store.ClusterSnapshot;
import dev.pgha.postgres.PgConnections;
import java.io.PrintWriter;
import java.io.Writer;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
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

        private final Map<String, String> changes = new LinkedHashMap<>();

        @Override
        void validate() {
            if (assignments.isEmpty() && !restart) {
                throw new PghaException("nothing to set: give NAME=VALUE (e.g. work_mem=64MB), or --restart");
            }
            for (String a : assignments) {
                int eq = a.indexOf('=');
                if (eq <= 0) {
                    throw new PghaException("\"" + a + "\" is not NAME=VALUE");
                }
                String name = a.substring(0, eq).strip().toLowerCase(Locale.ROOT);
                String value = a.substring(eq + 1);
                Optional<String> refusal = ParameterRules.refusal(name, value);
                if (refusal.isPresent()) {
                    throw new PghaException(refusal.get());
                }
                changes.put(name, value);
            }
        }

        /** With --json, what happened, printed as one object at the end. */
        private final ObjectNode result = Json.mapper().createObjectNode();

        @Override
        void run(Admin admin, PrintWriter out) {
            PrintWriter lines = json() ? new PrintWriter(Writer.nullWriter()) : out;
            boolean needsRestart = !changes.isEmpty() && apply(admin, changes, lines);
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

        /** Checks and applies the changes on the leader, then stores them for every member; true if a restart is needed. */
        private boolean apply(Admin admin, Map<String, String> changes, PrintWriter out) {
            Map<String, String> before = admin.store().snapshot().parameters();
            Map<String, String> applied = new LinkedHashMap<>();
            boolean needsRestart = false;
            try (Connection c = admin.leaderConnection("postgres")) {
                for (Map.Entry<String, String> e : changes.entrySet()) {
                    String context = context(c, e.getKey());
                    if (context == null) {
                        throw new PghaException("postgres has no parameter " + e.getKey());
                    }
                    if (context.equals("internal")) {
                        throw new PghaException(e.getKey() + " is fixed when the cluster is created; it cannot be set");
                    }
                    try {
                        setOnLeader(c, e.getKey(), e.getValue());
                    } catch (SQLException refused) {
                        undo(c, applied, before);
                        throw ClusterSql.failed(
                                "postgres refused " + e.getKey() + "=" + e.getValue() + "; nothing was changed",
                                refused);
                    }
                    applied.put(e.getKey(), e.getValue());
                    needsRestart |=
                            context.equals("postmaster") && !e.getValue().isEmpty();
                    ObjectNode change = result.withArray("changed").addObject();
                    change.put("name", e.getKey());
                    change.put("value", e.getValue().isEmpty() ? null : e.getValue());
                    change.put("takes_effect", context.equals("postmaster") ? "restart" : "reload");
                    out.println((e.getValue().isEmpty()
                                    ? "reset " + e.getKey()
                                    : "set " + e.getKey() + " = " + e.getValue())
                            + (context.equals("postmaster") ? " (needs a restart)" : " (applied on reload)"));
                }
            } catch (SQLException e) {
                throw ClusterSql.failed("cannot set parameters", e);
            }
            Map<String, String> next = new TreeMap<>(before);
            changes.forEach((k, v) -> {
                if (v.isEmpty()) {
                    next.remove(k);
                } else {
                    next.put(k, v);
                }
            });
            admin.store().setParameters(next);
            return needsRestart;
        }

        private static void setOnLeader(Connection c, String name, String value) throws SQLException {
            if (value.isEmpty()) {
                PgConnections.executeFormatted(c, "SELECT format('ALTER SYSTEM RESET %I', ?::text)", name);
            } else {
                PgConnections.executeFormatted(
                        c, "SELECT format('ALTER SYSTEM SET %I TO %L', ?::text, ?::text)", name, value);
            }
        }

        /** Puts back what this command already changed on the leader, after a later value was refused. */
        private static void undo(Connection c, Map<String, String> applied, Map<String, String> before) {
            for (String name : applied.keySet()) {
                try {
                    setOnLeader(c, name, before.getOrDefault(name, ""));
                } catch (SQLException ignored) {
                    // the earlier value was accepted once; the keeper re-applies the stored set anyway
                }
            }
        }
    }
}
