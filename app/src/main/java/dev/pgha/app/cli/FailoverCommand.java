package dev.pgha.app.cli;

import dev.pgha.common.PghaException;
import dev.pgha.common.model.OperatorRequest;
import java.io.PrintWriter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(
        name = "failover",
        mixinStandardHelpOptions = true,
        description = {
            "Promote MEMBER in a cluster that has no leader and will not choose one itself (e.g. no "
                    + "synchronous standby was in sync when the leader was lost).",
            "Writes only the lost leader acknowledged may be missing from MEMBER: this needs --force."
        })
public final class FailoverCommand extends AdminCommand {
    @Option(names = "--to", paramLabel = "MEMBER", required = true, description = "The standby to promote.")
    String to;

    @Option(names = "--force", description = "Accept that acknowledged writes may be lost.")
    boolean force;

    @Option(
            names = "--timeout",
            paramLabel = "DURATION",
            defaultValue = "60s",
            description = "Give up waiting after this long (default: ${DEFAULT-VALUE}).")
    String timeout;

    @Override
    void validate() {
        if (!force) {
            throw new PghaException("a forced failover may lose writes the lost leader acknowledged; add --force to "
                    + "promote " + to + " anyway (for a planned change of leader use pgha switchover)");
        }
    }

    @Override
    void run(Admin admin, PrintWriter out) {
        LeaderChangeCommands.run(admin, out, json(), OperatorRequest.Kind.FAILOVER, to, timeout);
    }
}
