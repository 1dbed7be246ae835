package dev.pgha.app.cli;

import dev.pgha.common.PghaException;
import dev.pgha.common.backup.RecoveryTarget;
import dev.pgha.common.config.PghaConfig;
import dev.pgha.keeper.BackupCatalog;
import dev.pgha.keeper.PgBackRest;
import dev.pgha.keeper.PostgresOsUser;
import dev.pgha.keeper.ProcessRunner;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(
        name = "restore",
        mixinStandardHelpOptions = true,
        description = {
            "Restore a backup's files into a new directory, with the recovery settings that replay the archive to the"
                    + " target and promote when you start postgres there. (A new cluster restores on its own: start"
                    + " it with PGHA_RESTORE_FROM.)"
        })
public final class RestoreCommand extends AdminCommand {
    @Option(names = "--into", required = true, paramLabel = "DIR", description = "A new or empty directory.")
    Path into;

    @Option(
            names = "--from",
            paramLabel = "CLUSTER",
            description = "The cluster whose backups to restore (default:" + " this node's cluster).")
    String from;

    @Option(
            names = "--to-time",
            paramLabel = "TIME",
            description = "e.g. \"2026-11-29 10:15:00+00\" (the zone is" + " required).")
    String toTime;

    @Option(
            names = "--to-name",
            paramLabel = "NAME",
            description = "A restore point made with" + " pg_create_restore_point().")
    String toName;

    @Option(names = "--to-lsn", paramLabel = "LSN", description = "A WAL position such as 0/3000060.")
    String toLsn;

    private RecoveryTarget target;

    @Override
    void validate() {
        List<RecoveryTarget> given = new ArrayList<>();
        if (toTime != null) {
            given.add(RecoveryTarget.of(
                    RecoveryTarget.Kind.TIME,
                    RecoveryTarget.normalizeTime(toTime)
                            .orElseThrow(() -> new PghaException("--to-time " + toTime + " is not a time with its"
                                    + " zone, such as \"2026-11-29 10:15:00+00\""))));
        }
        if (toName != null) {
            if (!toName.matches("[A-Za-z0-9_.:-]{1,63}")) {
                throw new PghaException("--to-name must be a restore point name (letters, digits, _ . : -)");
            }
            given.add(RecoveryTarget.of(RecoveryTarget.Kind.NAME, toName));
        }
        if (toLsn != null) {
            if (!toLsn.matches("[0-9A-Fa-f]{1,8}/[0-9A-Fa-f]{1,8}")) {
                throw new PghaException("--to-lsn " + toLsn + " is not a WAL position such as 0/3000060");
            }
            given.add(RecoveryTarget.of(RecoveryTarget.Kind.LSN, toLsn.toUpperCase()));
        }
        if (given.size() > 1) {
            throw new PghaException("give at most one of --to-time, --to-name and --to-lsn");
        }
        target = given.isEmpty() ? RecoveryTarget.latest() : given.get(0);
        if (from != null && !from.matches("[a-z0-9]([a-z0-9-]*[a-z0-9])?")) {
            throw new PghaException("--from must name a cluster (its FLY_APP_NAME)");
        }
    }

    @Override
    void run(Admin admin, PrintWriter out) {
        PgBackRest pgbackrest = BackupCommand.pgbackrest(admin);
        PghaConfig config = admin.config();
        String cluster = from != null ? from : config.clusterName();
        PostgresOsUser user = PostgresOsUser.detect(config.postgres().osUser());
        Path dir = prepare(into.toAbsolutePath().normalize(), user);
        BackupCatalog catalog = pgbackrest.info(cluster);
        if (catalog.readError().isPresent()) {
            throw new PghaException("cannot read the backups of cluster " + cluster + ": "
                    + catalog.readError().get());
        }
        BackupCatalog.Set base = catalog.baseFor(target)
                .orElseThrow(() -> new PghaException(
                        "cannot restore to " + target.describe() + ": " + catalog.explainNoBase(target)));
        ProcessRunner.Result r = pgbackrest.restoreFiles(cluster, base.label(), dir, target);
        if (!r.ok()) {
            throw new PghaException("pgbackrest restore failed: " + r.tail(2));
        }
        report(
                out,
                "restored backup " + base.label() + " of cluster " + cluster + " into " + dir + "; started there,"
                        + " postgres replays the archive to " + target.describe() + " and promotes (pg_ctl -D " + dir
                        + " start, as the " + user.name() + " user)",
                "label",
                base.label(),
                "into",
                dir.toString(),
                "target",
                target.describe());
    }

    /** A new or empty directory owned by postgres's OS user. */
    private static Path prepare(Path dir, PostgresOsUser user) {
        try {
            if (Files.exists(dir)) {
                try (Stream<Path> entries = Files.list(dir)) {
                    if (entries.findAny().isPresent()) {
                        throw new PghaException(dir + " is not empty: restore into a new or empty directory");
                    }
                }
            } else {
                Files.createDirectories(dir);
            }
            user.own(dir);
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
            user.requireReachable(dir);
            return dir;
        } catch (IOException e) {
            throw new PghaException("cannot prepare " + dir + ": " + e.getMessage());
        }
    }
}
