package dev.pgha.image.admin;

import java.time.Instant;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

@Command(name = "status", mixinStandardHelpOptions = true,
        description = "Show the cluster: every member's role, state, timeline, lag, health checks, address and uptime "
                + "(the leader first), the view's generation and phase, and what needs attention.")
public final class StatusCommand implements Callable<Integer> {
    @Mixin
    AdminOptions options;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        try (Admin admin = Admin.open(options, System.getenv())) {
            ClusterStatus status = StatusCollector.collect(admin.store(), admin.config().clusterName(), Instant.now());
            spec.commandLine().getOut().print(options.json ? StatusFormat.json(status) : StatusFormat.table(status));
            spec.commandLine().getOut().flush();
            return 0;
        }
    }
}
