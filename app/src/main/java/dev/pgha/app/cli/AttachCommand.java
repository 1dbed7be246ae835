package dev.pgha.app.cli;

import dev.pgha.common.PghaException;
import java.io.PrintWriter;
import java.sql.SQLException;
import java.util.regex.Pattern;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(
        name = "attach",
        mixinStandardHelpOptions = true,
        description = {
            "Give an app its own database and user, as flyctl postgres attach does: both named after the app "
                    + "(my-app -> my_app), a generated password, and the connection string to put in the app's environment.",
            "An existing user or database is refused; name others with --database-user / --database-name."
        })
public final class AttachCommand extends AdminCommand {
    private static final Pattern VARIABLE = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

    @Parameters(index = "0", paramLabel = "APP", description = "The app's name.")
    String app;

    @Option(
            names = "--database-name",
            paramLabel = "NAME",
            description = "Database to create (default: the app's name).")
    String databaseName;

    @Option(names = "--database-user", paramLabel = "USER", description = "User to create (default: the app's name).")
    String databaseUser;

    @Option(
            names = "--variable-name",
            paramLabel = "NAME",
            defaultValue = "DATABASE_URL",
            description = "Environment variable to print (default: ${DEFAULT-VALUE}).")
    String variableName;

    @Option(names = "--superuser", description = "Make the user a superuser.")
    boolean superuser;

    @Option(
            names = "--host",
            paramLabel = "HOST",
            description = "Host in the connection string (default: <cluster>.internal).")
    String host;

    private String database;
    private String user;

    @Override
    void validate() {
        Names.check("app", app);
        database = Names.check("database", databaseName != null ? databaseName : Names.forApp(app));
        user = Names.check("user", databaseUser != null ? databaseUser : Names.forApp(app));
        if (!VARIABLE.matcher(variableName).matches()) {
            throw new PghaException("--variable-name " + variableName + " is not an environment variable name "
                    + "(letters, digits and _, not starting with a digit)");
        }
        if (Names.RESERVED_ROLES.contains(user)) {
            throw new PghaException("user " + user + " is one pgha itself uses; choose another with --database-user");
        }
    }

    @Override
    void run(Admin admin, PrintWriter out) {
        String password = ClusterSql.newPassword();
        onLeader(admin, "cannot attach " + app, c -> {
            if (ClusterSql.roleExists(c, user)) {
                throw new PghaException("user " + user + " already exists: choose another with --database-user (or "
                        + "pgha detach " + app + " first)");
            }
            if (ClusterSql.databaseExists(c, database)) {
                throw new PghaException(
                        "database " + database + " already exists: choose another with --database-name");
            }
            ClusterSql.createUser(c, user, password, superuser);
            try {
                ClusterSql.createDatabase(c, database, user); // its owner: every privilege on it
            } catch (SQLException e) {
                ClusterSql.dropUser(c, user); // do not leave half an attachment behind
                throw e;
            }
            return null;
        });
        String target = host != null ? host : admin.config().clusterName() + ".internal";
        String url = "postgres://" + Names.inUrl(user) + ":" + password + "@" + target + ":"
                + admin.config().proxy().port() + "/" + Names.inUrl(database);
        report(out, variableName + "=" + url, "database", database, "user", user, "variable", variableName, "url", url);
    }
}
