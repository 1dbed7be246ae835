package dev.pgha.app.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pgha.common.PghaException;
import dev.pgha.common.backup.BackupJob;
import dev.pgha.common.backup.BackupType;
import dev.pgha.common.config.PghaConfig;
import dev.pgha.common.health.Formats;
import dev.pgha.common.model.Json;
import dev.pgha.common.model.Lsn;
import dev.pgha.common.store.ClusterStore;
import dev.pgha.common.store.Versioned;
import dev.pgha.keeper.BackupCatalog;
import dev.pgha.keeper.PgBackRest;
import dev.pgha.keeper.PostgresOsUser;
import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(
        name = "backup",
        mixinStandardHelpOptions = true,
        description = "Take base backups with pgBackRest and list what the repository holds.",
        subcommands = {BackupCommand.Create.class, BackupCommand.ListBackups.class})
public final class BackupCommand extends AdminCommand.Group {
    /** How long a request may wait for a leader to take it up. */
    static final Duration PICKUP_TIMEOUT = Duration.ofSeconds(60);

    static PghaConfig.Backup enabled(Admin admin) {
        PghaConfig.Backup b = admin.config().backup();
        if (!b.enabled()) {
            throw new PghaException("backups are off on this node: no repository is configured (set PGHA_BACKUP_PATH"
                    + " or PGHA_BACKUP_S3_ENDPOINT with its _BUCKET, _REGION, _KEY and _SECRET on every member)");
        }
        return b;
    }

    /** pgBackRest with this node's configuration, as the daemon wrote it (read-only uses: no password needed). */
    static PgBackRest pgbackrest(Admin admin) {
        enabled(admin);
        PghaConfig config = admin.config();
        PgBackRest pgbackrest =
                new PgBackRest(config, PostgresOsUser.detect(config.postgres().osUser()), null);
        if (!pgbackrest.configured()) {
            throw new PghaException("pgBackRest's configuration " + pgbackrest.confFile()
                    + " is missing: run this on a member whose pgha has started with the backup settings");
        }
        return pgbackrest;
    }

    @Command(
            name = "create",
            mixinStandardHelpOptions = true,
            description = "Ask the leader for a base backup and wait until it is in the repository.")
    static final class Create extends AdminCommand {
        @Option(
                names = "--type",
                paramLabel = "full|diff|incr",
                description = "full (default), diff (changes since the last full) or incr (since the last backup).")
        String type = "full";

        @Option(names = "--no-wait", description = "Return once the request is stored.")
        boolean noWait;

        @Override
        void validate() {
            if (BackupType.parse(type).isEmpty()) {
                throw new PghaException("--type " + type + " is not a backup type: use full, diff or incr");
            }
        }

        @Override
        void run(Admin admin, PrintWriter out) {
            enabled(admin);
            ClusterStore store = admin.store();
            Optional<Versioned<BackupJob>> current = store.backupJob();
            if (current.isPresent() && !current.get().value().state().finished()) {
                BackupJob j = current.get().value();
                throw new PghaException("a " + j.type().word() + " backup is already "
                        + (j.member() == null
                                ? "requested (since " + j.requestedAt().truncatedTo(ChronoUnit.SECONDS) + ")"
                                : "running on member " + j.member() + " (since "
                                        + j.startedAt().truncatedTo(ChronoUnit.SECONDS) + ")")
                        + "; wait for it to finish");
            }
            BackupJob request = BackupJob.request(
                    UUID.randomUUID().toString(),
                    BackupType.parse(type).orElseThrow(),
                    "operator",
                    Instant.now(),
                    current.map(Versioned::value).orElse(null));
            if (!store.compareAndSetBackupJob(request, current.map(Versioned::version))) {
                throw new PghaException("another backup was requested at the same moment; run pgha backup list");
            }
            if (noWait) {
                report(out, "requested a " + type + " backup", "requested", request.id(), "type", type);
                return;
            }
            ProgressLine progress = json() ? null : ProgressLine.of(out);
            BackupJob done;
            try {
                done = await(store, request, progress);
            } finally {
                if (progress != null) {
                    progress.end();
                }
            }
            if (done.state() == BackupJob.State.FAILED) {
                throw new PghaException("the backup failed: " + done.message());
            }
            report(
                    out,
                    "backup " + done.label() + " (" + done.type().word() + ") taken on member " + done.member() + " in "
                            + Formats.duration(done.duration()) + ": " + Formats.bytes(done.sizeBytes())
                            + " of data, " + Formats.bytes(done.repoBytes()) + " added to the repository",
                    "label",
                    done.label(),
                    "type",
                    done.type().word(),
                    "member",
                    done.member(),
                    "seconds",
                    done.duration().toMillis() / 1000.0,
                    "size_bytes",
                    done.sizeBytes(),
                    "repository_bytes",
                    done.repoBytes());
        }

        private static BackupJob await(ClusterStore store, BackupJob request, ProgressLine progress) {
            Instant pickupBy = Instant.now().plus(PICKUP_TIMEOUT);
            while (true) {
                Versioned<BackupJob> now = store.backupJob()
                        .filter(v -> v.value().id().equals(request.id()))
                        .orElseThrow(() -> new PghaException("the backup request was replaced by another one"));
                BackupJob j = now.value();
                if (j.state().finished()) {
                    return j;
                }
                String line = j.state() == BackupJob.State.REQUESTED
                        ? "waiting for the leader to take the backup"
                        : "member " + j.member() + " is taking the backup"
                                + (j.message() == null ? "" : ": " + j.message());
                if (progress != null) {
                    progress.show(line);
                }
                if (j.state() == BackupJob.State.REQUESTED && Instant.now().isAfter(pickupBy)) {
                    store.compareAndSetBackupJob(
                            j.fail("no leader took the request up", Instant.now()), Optional.of(now.version()));
                    throw new PghaException("no member took the backup up within " + PICKUP_TIMEOUT.toSeconds()
                            + " s: the cluster needs a running leader with the backup repository configured (pgha"
                            + " status shows the leader; its log says why it cannot reach the repository)");
                }
                try {
                    Thread.sleep(100); // one small read: the command returns as soon as the backup is recorded
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new PghaException("interrupted; the backup goes on (pgha backup list shows it when done)");
                }
            }
        }
    }

    @Command(
            name = "list",
            mixinStandardHelpOptions = true,
            description = "The backups in the repository, oldest first: label, type, start and stop time, size, WAL"
                    + " range and the member that took each.")
    static final class ListBackups extends AdminCommand {
        @Override
        void run(Admin admin, PrintWriter out) {
            BackupCatalog catalog = pgbackrest(admin).info(admin.config().clusterName());
            out.print(json() ? json(catalog) : table(catalog));
        }

        static String table(BackupCatalog c) {
            Table t = new Table(
                    "LABEL",
                    "TYPE",
                    "STARTED",
                    "FINISHED",
                    "SIZE",
                    "STORED",
                    "WAL START",
                    "WAL STOP",
                    "STOP LSN",
                    "MEMBER");
            for (BackupCatalog.Set b : c.backups()) {
                t.row(
                        b.label(),
                        b.type().word(),
                        b.start(),
                        b.stop(),
                        Formats.bytes(b.size()),
                        Formats.bytes(b.repoSize()),
                        Objects.requireNonNullElse(b.walStart(), "-"),
                        Objects.requireNonNullElse(b.walStop(), "-"),
                        Lsn.format(b.lsnStop()),
                        Objects.requireNonNullElse(b.member(), "-"));
            }
            String archive = c.walMin() == null ? "archive: empty" : "archive: WAL " + c.walMin() + " to " + c.walMax();
            return t.render() + "stanza " + c.stanza() + " (" + c.status() + "), "
                    + c.backups().size() + " backups; " + archive + "\n";
        }

        static String json(BackupCatalog c) {
            ObjectNode root = Json.mapper().createObjectNode();
            root.put("stanza", c.stanza());
            root.put("status", c.status());
            root.put("wal_min", c.walMin());
            root.put("wal_max", c.walMax());
            ArrayNode list = root.putArray("backups");
            for (BackupCatalog.Set b : c.backups()) {
                ObjectNode n = list.addObject();
                n.put("label", b.label());
                n.put("type", b.type().word());
                n.put("start", b.start().toString());
                n.put("stop", b.stop().toString());
                n.put("size_bytes", b.size());
                n.put("repository_bytes", b.repoSize());
                n.put("wal_start", b.walStart());
                n.put("wal_stop", b.walStop());
                n.put("stop_lsn", Lsn.format(b.lsnStop()));
                n.put("member", b.member());
            }
            return root.toPrettyString() + "\n";
        }
    }
}
