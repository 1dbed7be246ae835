package dev.pgha.app.cli;

import java.io.PrintWriter;
import java.time.Instant;
import picocli.CommandLine.Command;

@Command(
        name = "status",
        mixinStandardHelpOptions = true,
        description = "Show the cluster: every member's role, state, timeline, lag, health checks, address and uptime "
                + "(the leader first), the view's generation and phase, and what needs attention.")
public final class StatusCommand extends AdminCommand {
    @Override
    void run(Admin admin, PrintWriter out) {
        ClusterStatus status =
                StatusCollector.collect(admin.store(), admin.config().clusterName(), Instant.now());
        out.print(json() ? StatusFormat.json(status) : StatusFormat.table(status));
    }
}
