package dev.pgha.image.admin;

import dev.pgha.common.PghaException;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "detach", mixinStandardHelpOptions = true,
        description = "Take an app's access away: its user's sessions end, what it owns passes to postgres, and the "
                + "user is dropped. The database and its data stay.")
public final class DetachCommand implements Callable<Integer> {
    /** Who inherits what a detached app owned. */
    private static final String HEIR = "postgres";

    @Mixin
    AdminOptions options;

    @Parameters(index = "0", paramLabel = "APP", description = "The app's name.")
    String app;

    @Option(names = "--database-user", paramLabel = "USER", description = "The app's user (default: the app's name).")
    String databaseUser;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        Names.check("app", app);
        String user = Names.check("user", databaseUser != null ? databaseUser : Names.forApp(app));
        if (Names.RESERVED_ROLES.contains(user)) {
            throw new PghaException("user " + user + " is one pgha itself uses; it cannot be detached");
        }
        try (Admin admin = Admin.open(options, System.getenv()); Connection c = admin.leaderConnection("postgres")) {
            if (!ClusterSql.roleExists(c, user)) {
                throw new PghaException("there is no user " + user + " (pgha users list shows them; name the app's "
                        + "user with --database-user)");
            }
            ClusterSql.disableLogin(c, user); // no new session from here on
            ClusterSql.terminateSessions(c, user);
            // Ownership inside a database can only be reassigned while connected to it.
            for (String db : ClusterSql.connectableDatabases(c)) {
                try (Connection in = admin.leaderConnection(db)) {
                    ClusterSql.disown(in, user, HEIR);
                }
            }
            ClusterSql.dropUser(c, user);
            spec.commandLine().getOut().println("detached " + app + ": user " + user + " dropped; its databases and "
                    + "everything it owned are kept, now owned by " + HEIR);
            spec.commandLine().getOut().flush();
            return 0;
        } catch (SQLException e) {
            throw ClusterSql.failed("cannot detach " + app, e);
        }
    }
}
