package dev.pgha.keeper;

import dev.pgha.common.PghaException;
import dev.pgha.common.backup.BackupRepository;
import dev.pgha.common.backup.BackupType;
import dev.pgha.common.backup.RecoveryTarget;
import dev.pgha.common.config.PghaConfig;
import dev.pgha.common.fs.PrivateFiles;
import dev.pgha.common.secret.Credentials;
import dev.pgha.common.secret.Secret;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * pgBackRest, run as postgres's OS user with the configuration pgha writes ({@link PgBackRestConf}): the archive and
 * restore commands postgres runs, stanza creation, backups, the catalog and restores. Secrets are only in the
 * private pgbackrest.conf and the passfile, never on a command line or in the environment.
 */
public final class PgBackRest {
    public static final String EXECUTABLE = "pgbackrest";
    private static final Duration SHORT = Duration.ofMinutes(5);
    private static final Duration LONG = Duration.ofHours(48);

    private final PghaConfig config;
    private final PostgresOsUser user;
    private final Secret superuserPassword;
    private final Path conf;
    private final Path passfile;

    public PgBackRest(PghaConfig config, PostgresOsUser user, Secret superuserPassword) {
        this.config = config;
        this.user = user;
        this.superuserPassword = superuserPassword;
        this.conf = config.backupDir().resolve("pgbackrest.conf");
        this.passfile = config.backupDir().resolve("pgpass");
    }

    /** pgbackrest.conf, as the daemon writes it. */
    public Path confFile() {
        return conf;
    }

    /** The daemon has written pgbackrest.conf on this node. */
    public boolean configured() {
        return Files.exists(conf);
    }

    /** The stanza of this cluster. */
    public String stanza() {
        return config.clusterName();
    }

    /**
     * Writes pgbackrest.conf (and the passfile for pgBackRest's connection to the local postgres) into
     * $dataDir/pgbackrest, private to postgres's OS user, with the spool and lock directories.
     *
     * @param source the stanza of a cluster being restored from, if any
     */
    public void prepare(Optional<String> source) {
        try {
            for (Path dir : List.of(
                    config.backupDir(),
                    config.backupDir().resolve("spool"),
                    config.backupDir().resolve("lock"),
                    stanzaLocks(),
                    config.backupDir().resolve("log"))) {
                Files.createDirectories(dir);
                user.own(dir);
                Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
            }
            if (config.backup().repository().orElse(null) instanceof BackupRepository.Filesystem fs
                    && !Files.exists(fs.path())) {
                // a repository directory that is not there yet (the mount point's subdirectory): postgres's
                Files.createDirectories(fs.path());
                user.own(fs.path());
                Files.setPosixFilePermissions(fs.path(), PosixFilePermissions.fromString("rwx------"));
            }
            writeOwned(
                    conf,
                    PgBackRestConf.render(
                            config, config.postgres().port(), config.runDir(), Credentials.SU_ROLE, source));
            // pgBackRest reaches the local postgres over its unix socket only: the passfile names that socket
            String line =
                    escape(config.runDir().toString()) + ":" + config.postgres().port() + ":*:" + Credentials.SU_ROLE
                            + ":" + escape(superuserPassword.reveal()) + "\n";
            writeOwned(passfile, line);
        } catch (IOException e) {
            throw new PghaException(
                    "cannot write pgBackRest's configuration into " + config.backupDir() + ": " + e.getMessage());
        }
    }

    private void writeOwned(Path file, String content) throws IOException {
        PrivateFiles.write(file, content.getBytes(StandardCharsets.UTF_8));
        user.own(file);
    }

    private static String escape(String s) {
        return s.replace("\\", "\\\\").replace(":", "\\:");
    }

    /** What postgres's archive_command runs (a shell command line: the configuration path is quoted). */
    public String archiveCommand() {
        return EXECUTABLE + " --config=" + shellQuote(conf.toString()) + " --stanza=" + stanza() + " archive-push %p";
    }

    /** What a restoring postgres's restore_command runs, reading {@code fromStanza}'s archive. */
    public String restoreCommand(String fromStanza) {
        return EXECUTABLE + " --config=" + shellQuote(conf.toString()) + " --stanza=" + fromStanza
                + " archive-get %f \"%p\"";
    }

    static String shellQuote(String s) {
        return "'" + s.replace("'", "'\\''") + "'";
    }

    /**
     * Creates this cluster's stanza (nothing to do when it exists and matches this database). Its locks go into a
     * directory of their own: stanza-create takes every lock of the stanza, the archive lock included, and a new
     * leader runs it while postgres archives its first files. pgBackRest's asynchronous archive-push then either
     * failed stanza-create ("is another pgBackRest process running?", retried 30 s later) or, when stanza-create took
     * the lock between archive-push releasing it and its forked worker taking it, lost the worker, which exits
     * without a status file: postgres's archive_command waited archive-timeout (60 s) for it. pgha runs its own
     * pgBackRest commands one at a time (the "backup" thread, or the restore before postgres serves), and
     * stanza-create only reads what exists or writes the info files whole (renamed into place).
     */
    public ProcessRunner.Result stanzaCreate() {
        return run(stanza(), List.of("stanza-create", "--lock-path=" + stanzaLocks()), SHORT, line -> {});
    }

    private Path stanzaLocks() {
        return config.backupDir().resolve("lock").resolve("stanza-create");
    }

    /** Takes a base backup of the local primary, annotated with the member that took it; expires old ones after. */
    public ProcessRunner.Result backup(BackupType type, String memberId, Consumer<String> onLine) {
        return run(
                stanza(),
                List.of(
                        "backup",
                        "--type=" + type.word(),
                        "--annotation=" + BackupCatalog.MEMBER_ANNOTATION + "=" + memberId,
                        "--log-level-console=detail"),
                LONG,
                onLine);
    }

    /** The catalog of {@code stanza}. */
    public BackupCatalog info(String stanza) {
        // an unreachable repository fails after a few retries of io-timeout: seconds, not minutes
        ProcessRunner.Result r = run(stanza, List.of("info", "--output=json", "--io-timeout=10"), SHORT, line -> {});
        if (!r.ok()) {
            throw new PghaException("pgbackrest info failed: " + r.tail(2));
        }
        try {
            return BackupCatalog.parse(String.join("\n", r.output()), stanza);
        } catch (IllegalArgumentException e) {
            throw new PghaException(e.getMessage());
        }
    }

    /**
     * Restores backup {@code label} of {@code stanza} into {@code pgdata} (empty), writing no recovery settings: the
     * caller writes its own.
     */
    public ProcessRunner.Result restore(String stanza, String label, Path pgdata, Consumer<String> onLine) {
        return run(
                stanza,
                List.of("restore", "--set=" + label, "--type=none", "--pg1-path=" + pgdata, "--log-level-console=info"),
                LONG,
                onLine);
    }

    /**
     * Restores backup {@code label} of {@code stanza} into {@code into} with pgBackRest's own recovery settings: the
     * operator's postgres started there replays the archive to {@code target} and promotes (`pgha restore --into`).
     */
    public ProcessRunner.Result restoreFiles(String stanza, String label, Path into, RecoveryTarget target) {
        List<String> args =
                new ArrayList<>(List.of("restore", "--set=" + label, "--pg1-path=" + into, "--log-level-console=info"));
        if (target.kind() == RecoveryTarget.Kind.LATEST) {
            args.add("--type=default"); // to the end of the archive, then postgres promotes on its own
        } else {
            args.addAll(List.of(
                    "--type=" + target.kind().name().toLowerCase(Locale.ROOT),
                    "--target=" + target.value().orElseThrow(),
                    "--target-action=promote"));
        }
        return run(stanza, args, LONG, line -> {});
    }

    private ProcessRunner.Result run(String stanza, List<String> args, Duration timeout, Consumer<String> onLine) {
        List<String> command = new ArrayList<>(List.of(EXECUTABLE, "--config=" + conf, "--stanza=" + stanza));
        command.addAll(args);
        return ProcessRunner.run(user.wrap(command), Map.of("PGPASSFILE", passfile.toString()), timeout, onLine);
    }
}
