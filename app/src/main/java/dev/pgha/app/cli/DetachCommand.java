package dev.pgha.app.cli;

import dev.pgha.common.PghaException;
import java.io.PrintWriter;
import java.sql.Connection;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(
        name = "detach",
        mixinStandardHelpOptions = true,
        description = "Take an app's access away: its user's sessions end, what it owns passes to postgres, and the "
                + "user is dropped. The database and its data stay.")
public final class DetachCommand extends AdminCommand {
    /** Who inherits what a detached app owned. */
    private static final String HEIR = "postgres";

    @Parameters(index = "0", paramLabel = "APP", description = "The app's name.")
    String app;

    @Option(names = "--database-user", paramLabel = "USER", description = "The app's user (default: the app's name).")
    String databaseUser;

    private String user;

    @Override
    void validate() {
        Names.check("app", app);
        user = Names.check("user", databaseUser != null ? databaseUser : Names.forApp(app));
        if (Names.RESERVED_ROLES.contains(user)) {
            throw new PghaException("user " + user + " is one pgha itself uses; it cannot be detached");
        }
    }

    @Override
    void run(Admin admin, PrintWriter out) {
        onLeader(admin, "cannot detach " + app, c -> {
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
            return null;
        });
        report(
                out,
                "detached " + app + ": user " + user + " dropped; its databases and everything it owned are "
                        + "kept, now owned by " + HEIR,
                "app",
                app,
                "dropped_user",
                user,
                "new_owner",
                HEIR);
    }
}
