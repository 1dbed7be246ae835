package dev.pgha.app.cli;

import dev.pgha.common.PghaException;
import dev.pgha.common.model.HbaRules;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/**
 * The operator's own pg_hba.conf lines, kept in the cluster spec and applied by every member after pgha's rules and
 * before the one for everyone else: narrow who may connect from where, or require TLS of an app's user. Each member's
 * postgres checks the file before it is loaded; a member whose postgres refuses a rule keeps the rules it had and
 * says why in its log and in `pgha status`.
 */
@Command(
        name = "hba",
        mixinStandardHelpOptions = true,
        description = "Show, add or remove your own pg_hba.conf rules, applied on every member after pgha's.",
        subcommands = {HbaCommand.ListRules.class, HbaCommand.Add.class, HbaCommand.Remove.class})
public final class HbaCommand extends AdminCommand.Group {
    /** Changes the stored rules with {@code change}, retrying when another writer changed the spec meanwhile. */
    static List<String> update(Admin admin, UnaryOperator<List<String>> change) {
        return SpecUpdate.apply(
                        admin.store(), spec -> spec.withHbaRules(change.apply(new ArrayList<>(spec.hbaRules()))))
                .hbaRules();
    }

    static List<String> rules(Admin admin) {
        return admin.store()
                .snapshot()
                .storedSpec()
                .map(v -> v.value().hbaRules())
                .orElse(List.of());
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "Your rules, numbered, in file order.")
    static final class ListRules extends AdminCommand {
        @Override
        void run(Admin admin, PrintWriter out) {
            List<String> rules = rules(admin);
            if (json()) {
                report(out, "", "rules", rules);
                return;
            }
            if (rules.isEmpty()) {
                out.println("no rules of your own (pgha config hba add RULE adds one)");
                return;
            }
            Table t = new Table("#", "RULE");
            for (int i = 0; i < rules.size(); i++) {
                t.row(Integer.toString(i + 1), rules.get(i));
            }
            out.print(t.render());
        }
    }

    @Command(
            name = "add",
            mixinStandardHelpOptions = true,
            description = "Add a rule at the end of yours, e.g. \"hostssl all app 10.0.0.0/8 scram-sha-256\".")
    static final class Add extends AdminCommand {
        @Parameters(
                paramLabel = "RULE",
                arity = "1..*",
                description = "The pg_hba.conf line (quote it, or give its fields).")
        List<String> fields = new ArrayList<>();

        private String rule;

        @Override
        void validate() {
            rule = String.join(" ", fields).strip();
            HbaRules.refusal(rule).ifPresent(why -> {
                throw new PghaException(why);
            });
        }

        @Override
        void run(Admin admin, PrintWriter out) {
            List<String> now = update(admin, rules -> {
                if (rules.size() >= HbaRules.MAX_RULES) {
                    throw new PghaException("there are " + HbaRules.MAX_RULES + " rules already: remove one first");
                }
                rules.add(rule);
                return rules;
            });
            report(
                    out,
                    "added rule " + now.size() + ": " + rule + " (each member applies it within a heartbeat, once its "
                            + "postgres has accepted it)",
                    "rule",
                    rule,
                    "number",
                    now.size());
        }
    }

    @Command(name = "remove", mixinStandardHelpOptions = true, description = "Remove rule number N (see list).")
    static final class Remove extends AdminCommand {
        @Parameters(paramLabel = "N", description = "The rule's number in pgha config hba list.")
        int number;

        @Override
        void run(Admin admin, PrintWriter out) {
            String[] removed = new String[1];
            update(admin, rules -> {
                if (number < 1 || number > rules.size()) {
                    throw new PghaException("there is no rule " + number + " ("
                            + (rules.isEmpty() ? "there are none" : "rules are 1 to " + rules.size())
                            + "): see pgha config hba list");
                }
                removed[0] = rules.remove(number - 1);
                return rules;
            });
            report(out, "removed rule " + number + ": " + removed[0], "rule", removed[0], "number", number);
        }
    }
}
