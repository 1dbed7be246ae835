package dev.pgha.app.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pgha.common.model.Json;
import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.concurrent.Callable;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * The frame of every admin command: the shared options, an {@link Admin} opened for the command and closed after
 * it, and its output flushed. A command fails by throwing PghaException (one line, exit 1).
 */
abstract class AdminCommand implements Callable<Integer> {
    @Mixin
    AdminOptions options;

    @Spec
    CommandSpec spec;

    /**
     * Set by the launcher on the run that writes the short commands' class-data archive: a command that did not need
     * the store (`status` answered by the daemon) still loads its classes then, so the archive serves the commands that
     * do need it.
     */
    static final String CDS_TRAINING = "pgha.cds.training";

    /** The command's exit code when it does not fail (a tool it ran may set its own). */
    int exitCode;

    @Override
    public final Integer call() {
        validate();
        PrintWriter out = spec.commandLine().getOut();
        try (Admin admin = Admin.open(options, System.getenv())) {
            run(admin, out);
            if (Boolean.getBoolean(CDS_TRAINING)) {
                admin.loadStoreClasses();
            }
        } finally {
            out.flush();
        }
        return exitCode;
    }

    /** Checks the arguments before anything is opened. */
    void validate() {}

    abstract void run(Admin admin, PrintWriter out);

    boolean json() {
        return options.json;
    }

    /** What a command did: {@code text} as a line, or with --json the object {@code fields} (in their order). */
    void report(PrintWriter out, String text, Object... fields) {
        if (!json()) {
            out.println(text);
            return;
        }
        ObjectNode n = Json.mapper().createObjectNode();
        for (int i = 0; i + 1 < fields.length; i += 2) {
            n.set((String) fields[i], Json.mapper().valueToTree(fields[i + 1]));
        }
        out.print(n.toPrettyString() + "\n");
    }

    /** SQL on the leader's {@code postgres} database; a failure becomes one line starting with {@code what}. */
    static <T> T onLeader(Admin admin, String what, SqlWork<T> work) {
        try (Connection c = admin.leaderConnection("postgres")) {
            return work.run(c);
        } catch (SQLException e) {
            throw ClusterSql.failed(what, e);
        }
    }

    @FunctionalInterface
    interface SqlWork<T> {
        T run(Connection c) throws SQLException;
    }

    /** A command that only groups subcommands: run alone, it says which exist. */
    abstract static class Group implements Runnable {
        @Spec
        CommandSpec spec;

        @Override
        public void run() {
            throw new picocli.CommandLine.ParameterException(
                    spec.commandLine(),
                    "a subcommand is required: "
                            + String.join(", ", spec.subcommands().keySet()));
        }
    }
}
