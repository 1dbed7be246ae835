package dev.pgha.app.cli;

import dev.pgha.common.model.Role;
import java.io.PrintWriter;
import java.io.Writer;
import java.time.Duration;
import java.time.Instant;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

@Command(
        name = "reinit",
        mixinStandardHelpOptions = true,
        description = {
            "Replace a standby's data with a fresh clone of the leader's (Patroni's reinit): for a standby that "
                    + "cannot follow, or whose data you do not trust. Its old data is deleted once the clone starts.",
            "Waits until it streams again (up to 6 h: a clone takes as long as copying the database)."
        })
public final class ReinitCommand extends AdminCommand {
    private static final Duration CLONE_WAIT = Duration.ofHours(6);

    @Parameters(index = "0", paramLabel = "MEMBER", description = "The standby to re-clone.")
    String member;

    @Override
    void run(Admin admin, PrintWriter out) {
        reinitOne(admin, member, json() ? new PrintWriter(Writer.nullWriter()) : out, true);
        if (json()) {
            report(out, "", "reinitialized", member);
        }
    }

    /** Re-clones one standby, waiting ({@code await}) until it is back, streaming; refuses the leader. */
    public static void reinitOne(Admin admin, String member, PrintWriter lines, boolean await) {
        RestartCommand.checkStandby(
                admin, member, "its data is the cluster's; switch over first (pgha switchover), then reinit it");
        Instant asked = Instant.now();
        admin.store().requestReinit(member);
        lines.println("re-cloning " + member + " from the leader (pgha status shows its progress)");
        lines.flush();
        if (!await) {
            return;
        }
        ProgressLine progress = ProgressLine.of(lines);
        try {
            RollingRestart.await(
                    admin.store(),
                    member,
                    Role.STANDBY,
                    asked,
                    "come back as a healthy standby after its re-clone",
                    CLONE_WAIT,
                    k -> {
                        if (k != null && k.problem() != null && k.updatedAt().isAfter(asked)) {
                            progress.show(k.problem()); // "cloning member b: 1.20 GB of 4.00 GB (30%)"
                        }
                    });
        } finally {
            progress.end();
        }
        lines.println("reinitialized " + member + ": cloned from the leader and streaming");
        lines.flush();
    }
}
