package dev.pgha.app.cli;

import dev.pgha.common.PghaException;
import dev.pgha.common.config.PghaConfig;
import dev.pgha.common.model.MemberInfo;
import dev.pgha.common.secret.Secret;
import dev.pgha.keeper.PgBinaries;
import dev.pgha.postgres.PgConnections;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(
        name = "connect",
        mixinStandardHelpOptions = true,
        description = {
            "Open psql on the leader (or a replica) as the operator (postgres), as fly postgres connect does.",
            "The password goes to psql in a private password file that is deleted when psql ends; standard input and "
                    + "output are psql's, so a here-document or a pipe works too."
        })
public final class ConnectCommand extends AdminCommand {
    /** What psql keeps of the caller's environment: the terminal and the user's psql habits, never a secret. */
    private static final List<String> KEPT_ENV = List.of(
            "PATH",
            "HOME",
            "TERM",
            "LANG",
            "LC_ALL",
            "LC_CTYPE",
            "PAGER",
            "PSQL_PAGER",
            "PSQL_HISTORY",
            "COLUMNS",
            "LINES",
            "PSQLRC");

    @Option(names = "--replica", description = "Connect to a streaming replica instead of the leader.")
    boolean replica;

    @Option(
            names = {"-d", "--database"},
            paramLabel = "NAME",
            defaultValue = "postgres",
            description = "Database (default: ${DEFAULT-VALUE}).")
    String database;

    @Override
    void validate() {
        Names.check("database", database);
    }

    @Override
    void run(Admin admin, PrintWriter out) {
        PghaConfig config = admin.config();
        MemberInfo target = replica ? admin.replica() : admin.leader();
        Secret password = admin.operatorPassword();
        Path psql = PgBinaries.locate(
                        config.postgres().binDir(), config.postgres().installRoot(), System.getenv("PATH"))
                .tool("psql");
        Path passfile = null;
        try {
            passfile = Files.createTempFile(
                    "pgha-connect",
                    ".pgpass",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            Files.writeString(
                    passfile,
                    pgpassField(target.host()) + ":" + target.pgPort() + ":*:postgres:" + pgpassField(password.reveal())
                            + "\n",
                    StandardCharsets.UTF_8);
            ProcessBuilder pb = new ProcessBuilder(psql.toString(), conninfo(target, database, config)).inheritIO();
            Map<String, String> env = pb.environment();
            env.keySet().retainAll(KEPT_ENV);
            env.put("PGPASSFILE", passfile.toString());
            out.flush();
            Process p = pb.start();
            exitCode = p.waitFor();
        } catch (IOException e) {
            throw new PghaException("cannot run " + psql + ": " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new PghaException("interrupted while psql ran");
        } finally {
            if (passfile != null) {
                try {
                    Files.deleteIfExists(passfile);
                } catch (IOException e) {
                    passfile.toFile().deleteOnExit();
                }
            }
        }
    }

    /** libpq's connection string, every value quoted; TLS off loopback, verified when the operator gave a CA. */
    static String conninfo(MemberInfo target, String database, PghaConfig config) {
        StringBuilder b = new StringBuilder();
        b.append("host=").append(quote(target.host()));
        b.append(" port=").append(target.pgPort());
        b.append(" dbname=").append(quote(database));
        b.append(" user=postgres application_name=pgha-connect");
        if (PgConnections.loopback(target.host())) {
            b.append(" sslmode=prefer");
        } else if (config.tls().isPresent()) {
            b.append(" sslmode=verify-ca sslrootcert=")
                    .append(quote(config.tls().get().caFile().toString()));
        } else {
            b.append(" sslmode=require");
        }
        return b.toString();
    }

    private static String quote(String value) {
        return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'";
    }

    /** A field of a password file: backslashes and colons escaped. */
    private static String pgpassField(String value) {
        return value.replace("\\", "\\\\").replace(":", "\\:");
    }
}
