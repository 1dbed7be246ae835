package dev.pgha.app.cli;

import dev.pgha.common.PghaException;
import dev.pgha.common.config.ConfigLoader;
import dev.pgha.common.config.Durations;
import dev.pgha.common.config.EnvOverrides;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code pgha check vm|pg|role}: the node's health check as a command, for health-check scripts and container
 * HEALTHCHECKs. Prints what /flycheck/&lt;name&gt; answers and exits 0 when it passes, 1 when it fails, 2 when the
 * check could not be run at all (daemon not running, wrong URL, no answer in time).
 */
@Command(
        name = "check",
        description = {
            "Run a health check of a running node: vm (disk, load, pressure), pg (postgres and "
                    + "replication) or role (leader, replica, readonly, offline).",
            "Exit status: 0 passing, 1 failing, 2 cannot check."
        },
        mixinStandardHelpOptions = true)
public final class CheckCommand implements Callable<Integer> {
    static final int PASSING = 0;
    static final int FAILING = 1;
    static final int CANNOT_CHECK = 2;

    enum Check {
        vm,
        pg,
        role
    }

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "CHECK", description = "vm, pg or role")
    Check check;

    @Option(
            names = "--url",
            paramLabel = "URL",
            description = "The node's health-check HTTP address (default: http://127.0.0.1 and this node's http.port, "
                    + "PGHA_HTTP_PORT, 5500 unless set).")
    String url;

    @Option(
            names = "--timeout",
            paramLabel = "DURATION",
            defaultValue = "30s",
            description = "Give up after this long (default: ${DEFAULT-VALUE}), e.g. 10s.")
    String timeout;

    private final Map<String, String> env;

    CheckCommand() {
        this(System.getenv());
    }

    CheckCommand(Map<String, String> env) {
        this.env = env;
    }

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        Duration limit;
        try {
            limit = Durations.parse(timeout);
        } catch (IllegalArgumentException e) {
            err.println("pgha check: --timeout " + timeout + " is not a duration such as 10s or 1m");
            return CANNOT_CHECK;
        }
        String base;
        try {
            base = url != null
                    ? url
                    : "http://127.0.0.1:"
                            + ConfigLoader.load(Optional.empty(), env).httpPort();
        } catch (PghaException e) {
            err.println("pgha check: " + e.getMessage());
            return CANNOT_CHECK;
        }
        URI target;
        try {
            target = URI.create(base.replaceAll("/+$", "") + "/flycheck/" + check.name());
            if (!"http".equals(target.getScheme()) || target.getHost() == null) {
                throw new IllegalArgumentException("not an http:// URL");
            }
        } catch (IllegalArgumentException e) {
            err.println("pgha check: --url " + base + " is not an http://host:port address (" + e.getMessage() + ")");
            return CANNOT_CHECK;
        }
        try {
            PlainHttp.Reply reply = PlainHttp.get(target, limit);
            int status = reply.status();
            out.print(reply.body());
            out.flush();
            return switch (status) {
                case 200 -> PASSING;
                case 500, 503 -> FAILING;
                default -> {
                    err.println("pgha check: " + target + " answered HTTP " + status
                            + "; is --url the address of a pgha node?");
                    yield CANNOT_CHECK;
                }
            };
        } catch (SocketTimeoutException e) {
            err.println("pgha check: no answer from " + target + " within " + timeout);
            return CANNOT_CHECK;
        } catch (ConnectException e) {
            err.println("pgha check: cannot connect to " + target + ": is pgha running there ("
                    + EnvOverrides.label("http.port") + ", --url)?");
            return CANNOT_CHECK;
        } catch (IOException e) {
            err.println("pgha check: cannot check " + target + ": " + e);
            return CANNOT_CHECK;
        }
    }
}
