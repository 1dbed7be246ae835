package dev.pgha.app.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pgha.common.backup.BackupJob;
import dev.pgha.common.backup.BackupType;
import dev.pgha.common.health.Formats;
import dev.pgha.common.store.Versioned;
import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;

@Command(
        name = "status",
        mixinStandardHelpOptions = true,
        description = "Show the cluster: every member's role, state, timeline, lag, health checks, address and uptime "
                + "(the leader first), the view's generation and phase, the last backups, and what needs attention.")
public final class StatusCommand extends AdminCommand {
    @Override
    void run(Admin admin, PrintWriter out) {
        Instant now = Instant.now();
        ClusterStatus status =
                StatusCollector.collect(admin.store(), admin.config().clusterName(), now);
        BackupJob job = admin.config().backup().enabled()
                ? admin.store().backupJob().map(Versioned::value).orElse(null)
                : null;
        if (!json()) {
            out.print(StatusFormat.table(status));
            if (admin.config().backup().enabled()) {
                out.print(backupLines(job, now));
            }
            return;
        }
        ObjectNode root = StatusFormat.tree(status);
        if (admin.config().backup().enabled()) {
            ObjectNode b = root.putObject("backups");
            for (BackupType t : BackupType.values()) {
                BackupJob done = job == null ? null : job.completed().get(t);
                if (done != null) {
                    b.putObject("last_" + t.word())
                            .put("label", done.label())
                            .put("finished", done.finishedAt().toString())
                            .put("seconds", done.duration().toMillis() / 1000.0)
                            .put("size_bytes", done.sizeBytes())
                            .put("member", done.member());
                }
            }
            if (job != null) {
                b.putObject("current")
                        .put("type", job.type().word())
                        .put("state", job.state().toString())
                        .put("member", job.member())
                        .put("message", job.message());
            }
        }
        out.print(root.toPrettyString() + "\n");
    }

    /** "Backups:" lines: the last success of each type, and the job running or failed last. */
    static String backupLines(BackupJob job, Instant now) {
        List<String> lines = new ArrayList<>();
        if (job == null) {
            lines.add("none yet (pgha backup create takes one)");
        } else {
            for (BackupType t : BackupType.values()) {
                BackupJob done = job.completed().get(t);
                if (done != null) {
                    lines.add("last " + t.word() + ": " + done.label() + ", " + ago(done.finishedAt(), now)
                            + " on member " + done.member() + " (" + Formats.bytes(done.sizeBytes()) + ", took "
                            + Formats.duration(done.duration()) + ")");
                }
            }
            switch (job.state()) {
                case REQUESTED ->
                    lines.add("a " + job.type().word() + " backup is requested by " + job.requestedBy()
                            + ", waiting for the leader");
                case RUNNING ->
                    lines.add("running: a " + job.type().word() + " backup on member " + job.member()
                            + " since " + ago(job.startedAt(), now)
                            + (job.message() == null ? "" : " (" + job.message() + ")"));
                case FAILED ->
                    lines.add("! the last backup (" + job.type().word() + ", " + ago(job.finishedAt(), now)
                            + ") failed: " + job.message());
                case SUCCEEDED -> {
                    // listed above
                }
            }
        }
        StringBuilder b = new StringBuilder("Backups:\n");
        lines.forEach(l -> b.append("  ").append(l).append('\n'));
        return b.toString();
    }

    private static String ago(Instant t, Instant now) {
        return t == null
                ? "at an unknown time"
                : Formats.duration(Duration.between(t, now).truncatedTo(ChronoUnit.SECONDS)) + " ago";
    }
}
