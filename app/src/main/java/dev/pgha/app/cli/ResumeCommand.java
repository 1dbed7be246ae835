package dev.pgha.app.cli;

import dev.pgha.common.model.ClusterSpec;
import java.io.PrintWriter;
import java.util.Optional;
import picocli.CommandLine.Command;

@Command(
        name = "resume",
        mixinStandardHelpOptions = true,
        description = "End a pause (`pgha pause`): automatic failover is on again; a leaderless cluster chooses a "
                + "leader at once.")
public final class ResumeCommand extends AdminCommand {
    @Override
    void run(Admin admin, PrintWriter out) {
        Optional<ClusterSpec.Pause> ended = ClusterPause.resume(admin.store());
        String cluster = admin.config().clusterName();
        report(
                out,
                ended.map(p -> "resumed cluster " + cluster + " (paused " + ClusterPause.describe(p)
                                + "): automatic failover is on again")
                        .orElse("cluster " + cluster + " is not paused"),
                "paused",
                false,
                "was_paused",
                ended.isPresent());
    }
}
