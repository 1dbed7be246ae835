package dev.pgha.app.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pgha.common.PghaException;
import dev.pgha.common.backup.BackupJob;
import dev.pgha.common.backup.BackupType;
import dev.pgha.common.config.Durations;
import dev.pgha.common.health.Formats;
import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(
        name = "status",
        mixinStandardHelpOptions = true,
        description = "Show the cluster: every member's role, state, timeline, lag, health checks, address and uptime "
                + "(the leader first), the view's generation and phase, the last backups, and what needs attention.")
public final class StatusCommand extends AdminCommand {
    /**
     * How long the local daemon may take to answer (its member checks give up after 3 s) before the command reads
     * the store itself.
     */
    private static final Duration LOCAL_TIMEOUT = Duration.ofSeconds(5);

    /** Clears a terminal and puts the cursor home, as watch(1) does between refreshes. */
    private static final String CLEAR = "\033[H\033[2J";

    @Option(names = "--watch", description = "Show it again every --interval until interrupted (or --count times).")
    boolean watch;

    @Option(
            names = "--interval",
            paramLabel = "DURATION",
            defaultValue = "2s",
            description = "With --watch: time between refreshes (default: ${DEFAULT-VALUE}).")
    String interval;

    @Option(names = "--count", paramLabel = "N", description = "With --watch: stop after N refreshes.")
    Integer count;

    private Duration every;

    @Override
    void validate() {
        if ((count != null || !interval.equals("2s")) && !watch) {
            throw new PghaException("--interval and --count go with --watch");
        }
        try {
            every = Durations.parse(interval);
        } catch (IllegalArgumentException e) {
            throw new PghaException("--interval " + interval + " is not a duration such as 2s or 500ms");
        }
        if (every.compareTo(Duration.ofMillis(100)) < 0 || every.compareTo(Duration.ofHours(1)) > 0) {
            throw new PghaException("--interval must be between 100ms and 1h");
        }
        if (count != null && count < 1) {
            throw new PghaException("--count must be at least 1");
        }
    }

    @Override
    void run(Admin admin, PrintWriter out) {
        if (!watch) {
            show(admin, out);
            return;
        }
        boolean terminal = System.console() != null;
        for (int i = 1; count == null || i <= count; i++) {
            if (terminal) {
                out.print(CLEAR);
            } else if (i > 1) {
                out.println();
            }
            out.println("Every " + interval + ": pgha status, " + Instant.now().truncatedTo(ChronoUnit.SECONDS));
            try {
                show(admin, out);
            } catch (PghaException e) {
                out.println("pgha: " + e.getMessage()); // the store may come back: keep watching
            }
            out.flush();
            if (count != null && i == count) {
                break;
            }
            try {
                Thread.sleep(every.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private void show(Admin admin, PrintWriter out) {
        Instant now = Instant.now();
        StatusWire.Answer answer = admin.localStatusKey()
                .flatMap(key -> StatusWire.fetch(admin.config().httpPort(), key, LOCAL_TIMEOUT))
                .orElseGet(() -> StatusWire.collect(
                        admin.store(),
                        admin.config().clusterName(),
                        admin.config().backup().enabled(),
                        now));
        ClusterStatus status = answer.status();
        BackupJob job = answer.job();
        if (!json()) {
            String table = StatusFormat.table(status);
            if (Colors.enabled()) {
                table = colour(table, status);
            }
            out.print(table);
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

    /** At a terminal: the leader's row green, members in trouble red, warnings yellow. */
    static String colour(String table, ClusterStatus status) {
        String leader = status.leader() == null ? null : status.leader() + " ";
        String t = leader == null ? table : Colors.lines(table, l -> l.startsWith(leader), Colors.GREEN);
        for (ClusterStatus.Member m : status.members()) {
            if (List.of("down", "unhealthy", "stopped").contains(m.state())) {
                t = Colors.lines(t, l -> l.startsWith(m.id() + " "), Colors.RED);
            }
        }
        return Colors.lines(t, l -> l.startsWith("  ! ") || l.startsWith("PAUSED "), Colors.YELLOW);
    }
}
