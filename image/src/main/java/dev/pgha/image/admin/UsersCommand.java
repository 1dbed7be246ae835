package dev.pgha.image.admin;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pgha.common.PghaException;
import dev.pgha.common.model.Json;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "users", mixinStandardHelpOptions = true, description = "List, create and drop database users.",
        subcommands = {UsersCommand.ListUsers.class, UsersCommand.CreateUser.class, UsersCommand.DropUser.class})
public final class UsersCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new picocli.CommandLine.ParameterException(spec.commandLine(), "a subcommand is required: list, create or drop");
    }

    @Command(name = "list", mixinStandardHelpOptions = true,
            description = "Users that can log in: name, superuser, replication, and the databases they may connect to.")
    static final class ListUsers implements Callable<Integer> {
        @Mixin
        AdminOptions options;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            try (Admin admin = Admin.open(options, System.getenv()); Connection c = admin.leaderConnection("postgres")) {
                List<ClusterSql.User> users = ClusterSql.users(c);
                PrintWriter out = spec.commandLine().getOut();
                if (options.json) {
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
                    users.forEach(u -> t.row(u.name(), u.superuser() ? "yes" : "no", u.replication() ? "yes" : "no",
                            u.databases().isEmpty() ? "-" : String.join(", ", u.databases())));
                    out.print(t.render());
                }
                out.flush();
                return 0;
            } catch (SQLException e) {
                throw ClusterSql.failed("cannot list users", e);
            }
        }
    }

    @Command(name = "create", mixinStandardHelpOptions = true,
            description = "Create a user that can log in, with a generated password (printed once) or one from stdin.")
    static final class CreateUser implements Callable<Integer> {
        @Mixin
        AdminOptions options;

        @Parameters(index = "0", paramLabel = "NAME")
        String name;

        @Option(names = "--superuser", description = "Make it a superuser.")
        boolean superuser;

        @Option(names = "--password-stdin", description = "Read the password from the first line of standard input.")
        boolean passwordStdin;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            Names.check("user", name);
            String password = passwordStdin ? readPassword() : ClusterSql.newPassword();
            try (Admin admin = Admin.open(options, System.getenv()); Connection c = admin.leaderConnection("postgres")) {
                if (ClusterSql.roleExists(c, name)) {
                    throw new PghaException("user " + name + " already exists");
                }
                ClusterSql.createUser(c, name, password, superuser);
                PrintWriter out = spec.commandLine().getOut();
                out.println("created user " + name + (superuser ? " (superuser)" : ""));
                if (!passwordStdin) {
                    out.println("password: " + password + "  (shown only this once)");
                }
                out.flush();
                return 0;
            } catch (SQLException e) {
                throw ClusterSql.failed("cannot create user " + name, e);
            }
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

    @Command(name = "drop", mixinStandardHelpOptions = true,
            description = "Drop a user. Refused while it owns objects (pgha detach reassigns them) or for pgha's own.")
    static final class DropUser implements Callable<Integer> {
        @Mixin
        AdminOptions options;

        @Parameters(index = "0", paramLabel = "NAME")
        String name;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            Names.check("user", name);
            if (Names.RESERVED_ROLES.contains(name)) {
                throw new PghaException("user " + name + " is one pgha itself needs; it cannot be dropped");
            }
            try (Admin admin = Admin.open(options, System.getenv()); Connection c = admin.leaderConnection("postgres")) {
                if (!ClusterSql.roleExists(c, name)) {
                    throw new PghaException("there is no user " + name + " (pgha users list shows them)");
                }
                ClusterSql.terminateSessions(c, name);
                ClusterSql.dropUser(c, name);
                spec.commandLine().getOut().println("dropped user " + name);
                spec.commandLine().getOut().flush();
                return 0;
            } catch (SQLException e) {
                throw ClusterSql.failed("cannot drop user " + name + " (if it owns objects, pgha detach moves "
                        + "them to postgres)", e);
            }
        }
    }
}
