package dev.pgha.app.cli;

import dev.pgha.common.PghaException;
import dev.pgha.common.model.ParameterRules;
import dev.pgha.postgres.PgConnections;
import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Setting postgres parameters for every member, as `pgha config set` and the operations API's PATCH /config do: each
 * value is checked by postgres on the leader first (ALTER SYSTEM), nothing is stored if one is refused, then the set
 * goes to the store and every keeper applies it.
 */
public final class ParameterChanges {
    /** One applied change; {@code value} null when it was reset. */
    public record Change(String name, String value, boolean needsRestart) {}

    public record Result(List<Change> changed, boolean needsRestart) {}

    private ParameterChanges() {}

    /** NAME=VALUE arguments (NAME= resets), each checked against pgha's own parameters. */
    static Map<String, String> parse(List<String> assignments) {
        Map<String, String> changes = new LinkedHashMap<>();
        for (String a : assignments) {
            int eq = a.indexOf('=');
            if (eq <= 0) {
                throw new PghaException("\"" + a + "\" is not NAME=VALUE");
            }
            changes.putAll(checked(Map.of(a.substring(0, eq), a.substring(eq + 1))));
        }
        return changes;
    }

    /** Names lowercased, and none that pgha manages itself (the refusal names it and why). */
    public static Map<String, String> checked(Map<String, String> changes) {
        Map<String, String> out = new LinkedHashMap<>();
        changes.forEach((rawName, value) -> {
            String name = rawName.strip().toLowerCase(Locale.ROOT);
            Optional<String> refusal = ParameterRules.refusal(name, value);
            if (refusal.isPresent()) {
                throw new PghaException(refusal.get());
            }
            out.put(name, value);
        });
        return out;
    }

    /** Checks and applies the changes on the leader, then stores them for every member; tells {@code lines} each. */
    public static Result apply(Admin admin, Map<String, String> changes, PrintWriter lines) {
        Map<String, String> before = admin.store().snapshot().parameters();
        Map<String, String> applied = new LinkedHashMap<>();
        List<Change> changed = new ArrayList<>();
        boolean needsRestart = false;
        try (Connection c = admin.leaderConnection("postgres")) {
            for (Map.Entry<String, String> e : changes.entrySet()) {
                String context = ConfigCommand.context(c, e.getKey());
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
                            "postgres refused " + e.getKey() + "=" + e.getValue() + "; nothing was changed", refused);
                }
                applied.put(e.getKey(), e.getValue());
                boolean restart = context.equals("postmaster");
                needsRestart |= restart && !e.getValue().isEmpty();
                changed.add(new Change(e.getKey(), e.getValue().isEmpty() ? null : e.getValue(), restart));
                lines.println(
                        (e.getValue().isEmpty() ? "reset " + e.getKey() : "set " + e.getKey() + " = " + e.getValue())
                                + (restart ? " (needs a restart)" : " (applied on reload)"));
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
        return new Result(List.copyOf(changed), needsRestart);
    }

    private static void setOnLeader(Connection c, String name, String value) throws SQLException {
        if (value.isEmpty()) {
            PgConnections.executeFormatted(c, "SELECT format('ALTER SYSTEM RESET %I', ?::text)", name);
        } else {
            PgConnections.executeFormatted(
                    c, "SELECT format('ALTER SYSTEM SET %I TO %L', ?::text, ?::text)", name, value);
        }
    }

    /** Puts back what was already changed on the leader, after a later value was refused. */
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
