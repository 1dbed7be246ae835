package dev.pgha.app.cli;

import dev.pgha.common.PghaException;
import dev.pgha.common.config.PghaConfig;
import dev.pgha.common.model.MemberInfo;
import dev.pgha.common.secret.Secret;
import dev.pgha.keeper.PgBinaries;
import dev.pgha.postgres.PgConnections;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
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

    @Mixin
    DatabaseOption db;

    private String database;

    @Override
    void validate() {
        database = db.checked();
    }

    @Override
    void run(Admin admin, PrintWriter out) {
        PghaConfig config = admin.config();
        MemberInfo target = replica ? admin.replica() : admin.leader();
        Secret password = admin.operatorPassword();
        Path psql = PgBinaries.locate(
                        config.postgres().binDir(), config.postgres().installRoot(), System.getenv("PATH"))
                .tool("psql");
        Path passfile = Libpq.passfile(
                List.of(Libpq.passfileLine(target.host(), target.pgPort(), "postgres", password.reveal())));
        try {
            ProcessBuilder pb = Libpq.tool(
                            List.of(psql.toString(), conninfo(target, database, config)), passfile, KEPT_ENV)
                    .inheritIO();
            out.flush();
            exitCode = pb.start().waitFor();
        } catch (IOException e) {
            throw new PghaException("cannot run " + psql + ": " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new PghaException("interrupted while psql ran");
        } finally {
            Libpq.delete(passfile);
        }
    }

    /** libpq's connection string, every value quoted; TLS off loopback, verified when the operator gave a CA. */
    static String conninfo(MemberInfo target, String database, PghaConfig config) {
        StringBuilder b = new StringBuilder();
        b.append("host=").append(Libpq.quote(target.host()));
        b.append(" port=").append(target.pgPort());
        b.append(" dbname=").append(Libpq.quote(database));
        b.append(" user=postgres application_name=pgha-connect");
        if (PgConnections.loopback(target.host())) {
            b.append(" sslmode=prefer");
        } else if (config.tls().isPresent()) {
            b.append(" sslmode=verify-ca sslrootcert=")
                    .append(Libpq.quote(config.tls().get().caFile().toString()));
        } else {
            b.append(" sslmode=require");
        }
        return b.toString();
    }
}
