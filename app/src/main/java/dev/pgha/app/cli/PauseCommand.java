package dev.pgha.app.cli;

import dev.pgha.common.model.ClusterSpec;
import java.io.PrintWriter;
import java.time.Instant;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(
        name = "pause",
        mixinStandardHelpOptions = true,
        description = {
            "Pause automatic failover for maintenance (Patroni's pause): the sentinel changes no leader on its own and "
                    + "keepers start no stopped postgres; proxies keep routing, and switchover and failover --force "
                    + "still work.",
            "A leader that dies while paused leaves the cluster leaderless until `pgha resume` or `pgha failover "
                    + "--to MEMBER --force`."
        })
public final class PauseCommand extends AdminCommand {
    @Option(
            names = "--until",
            paramLabel = "TIME",
            description = "Resume by itself then: a duration (30m, 2h) or a time with its offset "
                    + "(2026-11-29T22:00:00Z).")
    String until;

    private Instant end;

    @Override
    void validate() {
        end = until == null ? null : ClusterPause.until(until, Instant.now());
    }

    @Override
    void run(Admin admin, PrintWriter out) {
        ClusterSpec.Pause p = ClusterPause.pause(admin.store(), end);
        report(
                out,
                "paused cluster " + admin.config().clusterName() + " " + ClusterPause.describe(p) + ": no automatic "
                        + "failover and no automatic start of a stopped postgres until "
                        + (p.until() == null ? "`pgha resume`" : "then (or `pgha resume`)"),
                "paused",
                true,
                "since",
                p.since().toString(),
                "until",
                p.until() == null ? null : p.until().toString());
    }
}
