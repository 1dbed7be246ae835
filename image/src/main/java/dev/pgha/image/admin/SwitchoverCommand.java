package dev.pgha.image.admin;

import dev.pgha.common.model.OperatorRequest;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "switchover", mixinStandardHelpOptions = true,
        description = {"Hand leadership to another member, planned: proxies hold new clients, the leader shuts down "
                + "cleanly, and the target is promoted once it has received all of the leader's WAL (no acknowledged "
                + "write is lost). The old leader rejoins as a standby.",
                "Refused, with the reason, when the target is not a healthy standby streaming from the leader."})
public final class SwitchoverCommand implements Callable<Integer> {
    @Mixin
    AdminOptions options;

    @Option(names = "--to", paramLabel = "MEMBER", description = "The member to promote (default: the best standby).")
    String to;

    @Option(names = "--timeout", paramLabel = "DURATION", defaultValue = "60s",
            description = "Give up waiting after this long (default: ${DEFAULT-VALUE}).")
    String timeout;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        return LeaderChangeCommands.run(spec, options, OperatorRequest.Kind.SWITCHOVER, to, timeout);
    }
}
