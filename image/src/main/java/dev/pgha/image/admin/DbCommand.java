package dev.pgha.image.admin;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pgha.common.PghaException;
import dev.pgha.common.health.Formats;
import dev.pgha.common.model.Json;
import java.io.PrintWriter;
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

@Command(name = "db", mixinStandardHelpOptions = true, description = "List, create and drop databases.",
        subcommands = {DbCommand.ListDbs.class, DbCommand.CreateDb.class, DbCommand.DropDb.class})
public final class DbCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new picocli.CommandLine.ParameterException(spec.commandLine(), "a subcommand is required: list, create or drop");
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "Databases: name, owner, size.")
    static final class ListDbs implements Callable<Integer> {
        @Mixin
        AdminOptions options;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            try (Admin admin = Admin.open(options, System.getenv()); Connection c = admin.leaderConnection("postgres")) {
                List<ClusterSql.Database> dbs = ClusterSql.databases(c);
                PrintWriter out = spec.commandLine().getOut();
                if (options.json) {
                    ArrayNode list = Json.mapper().createArrayNode();
                    for (ClusterSql.Database d : dbs) {
                        ObjectNode n = list.addObject();
                        n.put("name", d.name());
                        n.put("owner", d.owner());
                        n.put("size_bytes", d.sizeBytes());
                    }
                    out.print(list.toPrettyString() + "\n");
                } else {
                    Table t = new Table("NAME", "OWNER", "SIZE");
                    dbs.forEach(d -> t.row(d.name(), d.owner(), Formats.bytes(d.sizeBytes())));
                    out.print(t.render());
                }
                out.flush();
                return 0;
            } catch (SQLException e) {
                throw ClusterSql.failed("cannot list databases", e);
            }
        }
    }

    @Command(name = "create", mixinStandardHelpOptions = true, description = "Create a database.")
    static final class CreateDb implements Callable<Integer> {
        @Mixin
        AdminOptions options;

        @Parameters(index = "0", paramLabel = "NAME")
        String name;

        @Option(names = "--owner", paramLabel = "USER", defaultValue = "postgres",
                description = "Its owner (default: ${DEFAULT-VALUE}).")
        String owner;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            Names.check("database", name);
            Names.check("user", owner);
            try (Admin admin = Admin.open(options, System.getenv()); Connection c = admin.leaderConnection("postgres")) {
                if (ClusterSql.databaseExists(c, name)) {
                    throw new PghaException("database " + name + " already exists");
                }
                if (!ClusterSql.roleExists(c, owner)) {
                    throw new PghaException("there is no user " + owner + " to own it (--owner)");
                }
                ClusterSql.createDatabase(c, name, owner);
                spec.commandLine().getOut().println("created database " + name + " (owner " + owner + ")");
                spec.commandLine().getOut().flush();
                return 0;
            } catch (SQLException e) {
                throw ClusterSql.failed("cannot create database " + name, e);
            }
        }
    }

    @Command(name = "drop", mixinStandardHelpOptions = true,
            description = "Drop a database. Refused while clients are connected to it, unless --force ends them.")
    static final class DropDb implements Callable<Integer> {
        @Mixin
        AdminOptions options;

        @Parameters(index = "0", paramLabel = "NAME")
        String name;

        @Option(names = "--force", description = "End the connections to it first.")
        boolean force;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            Names.check("database", name);
            if (Names.RESERVED_DATABASES.contains(name)) {
                throw new PghaException("database " + name + " is one postgres and pgha need; it cannot be dropped");
            }
            try (Admin admin = Admin.open(options, System.getenv()); Connection c = admin.leaderConnection("postgres")) {
                if (!ClusterSql.databaseExists(c, name)) {
                    throw new PghaException("there is no database " + name + " (pgha db list shows them)");
                }
                int open = ClusterSql.connections(c, name);
                if (open > 0 && !force) {
                    throw new PghaException("database " + name + " has " + open + " open connection"
                            + (open == 1 ? "" : "s") + "; stop its clients, or add --force to end them");
                }
                ClusterSql.dropDatabase(c, name, force);
                spec.commandLine().getOut().println("dropped database " + name
                        + (open > 0 ? " (ended " + open + " connection" + (open == 1 ? ")" : "s)") : ""));
                spec.commandLine().getOut().flush();
                return 0;
            } catch (SQLException e) {
                throw ClusterSql.failed("cannot drop database " + name, e);
            }
        }
    }
}
