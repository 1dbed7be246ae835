package dev.pgha.app.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pgha.common.PghaException;
import dev.pgha.common.model.Json;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(
        name = "users",
        mixinStandardHelpOptions = true,
        description = "List, create and drop database users.",
        subcommands = {UsersCommand.ListUsers.class, UsersCommand.CreateUser.class, UsersCommand.DropUser.class})
public final class UsersCommand extends AdminCommand.Group {

    @Command(
            name = "list",
            mixinStandardHelpOptions = true,
            description = "Users that can log in: name, superuser, replication, and the databases they may connect to.")
    static final class ListUsers extends AdminCommand {
        @Override
        void run(Admin admin, PrintWriter out) {
            List<ClusterSql.User> users = onLeader(admin, "cannot list users", ClusterSql::users);
            if (json()) {
                ArrayNode list = Json.mapper().createArrayNode();
                for (ClusterSql.User u : users) {
                    ObjectNode n = list.addObject();
                    n.put("name", u.name());
                    n.put("superuser", u.superuser());
                    n.put("replication", u.replication());
                    u.databases().forEach(n.putArray("databases")::add);
                }
                out.print(list.toPrettyString() + "\n");
            } else {
                Table t = new Table("NAME", "SUPERUSER", "REPLICATION", "DATABASES");
                users.forEach(u -> t.row(
                        u.name(),
                        u.superuser() ? "yes" : "no",
                        u.replication() ? "yes" : "no",
                        u.databases().isEmpty() ? "-" : String.join(", ", u.databases())));
                out.print(t.render());
            }
        }
    }

    @Command(
            name = "create",
            mixinStandardHelpOptions = true,
            description = "Create a user that can log in, with a generated password (printed once) or one from stdin.")
    static final class CreateUser extends AdminCommand {
        @Parameters(index = "0", paramLabel = "NAME")
        String name;

        @Option(names = "--superuser", description = "Make it a superuser.")
        boolean superuser;

        @Option(names = "--password-stdin", description = "Read the password from the first line of standard input.")
        boolean passwordStdin;

        @Override
        void validate() {
            Names.check("user", name);
        }

        @Override
        void run(Admin admin, PrintWriter out) {
            String password = passwordStdin ? readPassword() : ClusterSql.newPassword();
            onLeader(admin, "cannot create user " + name, c -> {
                if (ClusterSql.roleExists(c, name)) {
                    throw new PghaException("user " + name + " already exists");
                }
                ClusterSql.createUser(c, name, password, superuser);
                return null;
            });
            report(
                    out,
                    "created user " + name + (superuser ? " (superuser)" : "")
                            + (passwordStdin ? "" : "\npassword: " + password + "  (shown only this once)"),
                    "user",
                    name,
                    "superuser",
                    superuser,
                    "password",
                    passwordStdin ? null : password);
        }

        private static String readPassword() {
            try {
                String line = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
                if (line == null || line.isEmpty()) {
                    throw new PghaException("--password-stdin: standard input has no password on its first line");
                }
                return line;
            } catch (IOException e) {
                throw new PghaException("--password-stdin: cannot read standard input: " + e.getMessage());
            }
        }
    }

    @Command(
            name = "drop",
            mixinStandardHelpOptions = true,
            description = "Drop a user. Refused while it owns objects (pgha detach reassigns them) or for pgha's own.")
    static final class DropUser extends AdminCommand {
        @Parameters(index = "0", paramLabel = "NAME")
        String name;

        @Override
        void validate() {
            Names.check("user", name);
            if (Names.RESERVED_ROLES.contains(name)) {
                throw new PghaException("user " + name + " is one pgha itself needs; it cannot be dropped");
            }
        }

        @Override
        void run(Admin admin, PrintWriter out) {
            onLeader(
                    admin,
                    "cannot drop user " + name + " (if it owns objects, pgha detach moves them to postgres)",
                    c -> {
                        if (!ClusterSql.roleExists(c, name)) {
                            throw new PghaException("there is no user " + name + " (pgha users list shows them)");
                        }
                        ClusterSql.terminateSessions(c, name);
                        ClusterSql.dropUser(c, name);
                        return null;
                    });
            report(out, "dropped user " + name, "dropped_user", name);
        }
    }
}
