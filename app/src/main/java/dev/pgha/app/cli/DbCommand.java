package dev.pgha.app.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pgha.common.PghaException;
import dev.pgha.common.health.Formats;
import dev.pgha.common.model.Json;
import java.io.PrintWriter;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(
        name = "db",
        mixinStandardHelpOptions = true,
        description = "List, create and drop databases.",
        subcommands = {DbCommand.ListDbs.class, DbCommand.CreateDb.class, DbCommand.DropDb.class})
public final class DbCommand extends AdminCommand.Group {

    @Command(name = "list", mixinStandardHelpOptions = true, description = "Databases: name, owner, size.")
    static final class ListDbs extends AdminCommand {
        @Override
        void run(Admin admin, PrintWriter out) {
            List<ClusterSql.Database> dbs = onLeader(admin, "cannot list databases", ClusterSql::databases);
            if (json()) {
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
        }
    }

    @Command(name = "create", mixinStandardHelpOptions = true, description = "Create a database.")
    static final class CreateDb extends AdminCommand {
        @Parameters(index = "0", paramLabel = "NAME")
        String name;

        @Option(
                names = "--owner",
                paramLabel = "USER",
                defaultValue = "postgres",
                description = "Its owner (default: ${DEFAULT-VALUE}).")
        String owner;

        @Override
        void validate() {
            Names.check("database", name);
            Names.check("user", owner);
        }

        @Override
        void run(Admin admin, PrintWriter out) {
            onLeader(admin, "cannot create database " + name, c -> {
                if (ClusterSql.databaseExists(c, name)) {
                    throw new PghaException("database " + name + " already exists");
                }
                if (!ClusterSql.roleExists(c, owner)) {
                    throw new PghaException("there is no user " + owner + " to own it (--owner)");
                }
                ClusterSql.createDatabase(c, name, owner);
                return null;
            });
            report(out, "created database " + name + " (owner " + owner + ")", "database", name, "owner", owner);
        }
    }

    @Command(
            name = "drop",
            mixinStandardHelpOptions = true,
            description = "Drop a database. Refused while clients are connected to it, unless --force ends them.")
    static final class DropDb extends AdminCommand {
        @Parameters(index = "0", paramLabel = "NAME")
        String name;

        @Option(names = "--force", description = "End the connections to it first.")
        boolean force;

        @Override
        void validate() {
            Names.check("database", name);
            if (Names.RESERVED_DATABASES.contains(name)) {
                throw new PghaException("database " + name + " is one postgres and pgha need; it cannot be dropped");
            }
        }

        @Override
        void run(Admin admin, PrintWriter out) {
            int open = onLeader(admin, "cannot drop database " + name, c -> {
                if (!ClusterSql.databaseExists(c, name)) {
                    throw new PghaException("there is no database " + name + " (pgha db list shows them)");
                }
                int connected = ClusterSql.connections(c, name);
                if (connected > 0 && !force) {
                    throw new PghaException("database " + name + " has " + connected + " open connection"
                            + (connected == 1 ? "" : "s") + "; stop its clients, or add --force to end them");
                }
                ClusterSql.dropDatabase(c, name, force);
                return connected;
            });
            report(
                    out,
                    "dropped database " + name
                            + (open > 0 ? " (ended " + open + " connection" + (open == 1 ? ")" : "s)") : ""),
                    "dropped_database",
                    name,
                    "ended_connections",
                    open);
        }
    }
}
