package dev.pgha.app.cli;

import dev.pgha.common.model.OperatorRequest;
import java.io.PrintWriter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(
        name = "switchover",
        mixinStandardHelpOptions = true,
        description = {
            "Hand leadership to another member, planned: proxies hold new clients, the leader shuts down "
                    + "cleanly, and the target is promoted once it has received all of the leader's WAL (no acknowledged "
                    + "write is lost). The old leader rejoins as a standby.",
            "Refused, with the reason, when the target is not a healthy standby streaming from the leader."
        })
public final class SwitchoverCommand extends AdminCommand {
    @Option(names = "--to", paramLabel = "MEMBER", description = "The member to promote (default: the best standby).")
    String to;

    @Option(
            names = "--timeout",
            paramLabel = "DURATION",
            defaultValue = "60s",
            description = "Give up waiting after this long (default: ${DEFAULT-VALUE}).")
    String timeout;

    @Override
    void run(Admin admin, PrintWriter out) {
        LeaderChangeCommands.run(admin, out, json(), OperatorRequest.Kind.SWITCHOVER, to, timeout);
    }
}
