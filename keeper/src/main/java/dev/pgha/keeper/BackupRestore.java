package dev.pgha.keeper;

import dev.pgha.common.backup.RecoveryTarget;
import dev.pgha.common.config.PghaConfig;
import dev.pgha.common.fs.PrivateFiles;
import dev.pgha.common.health.Formats;
import dev.pgha.common.secret.Credentials;
import dev.pgha.common.secret.Secret;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.regex.Pattern;
import org.postgresql.util.PasswordUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A first start that restores another cluster's backup instead of running initdb: picks the newest backup early
 * enough for the target, restores it with pgBackRest, replays the source's archive up to the target with postgres
 * itself (restore_command), waits for the promotion at the target and stops postgres cleanly. The keeper then
 * starts it as the leader of the new cluster, which archives into its own stanza. Anything that fails leaves an empty
 * data directory and one line saying what is missing, never a half-restored cluster a later start would serve.
 */
final class BackupRestore {
    private static final Logger log = LoggerFactory.getLogger(BackupRestore.class);
    private static final String PEER_FOR_RESET = "local all " + Credentials.OPERATOR_ROLE + " peer\n";
    private static final Pattern VERIFIER = Pattern.compile("SCRAM-SHA-256\\$[A-Za-z0-9+/=$:]+");
    private static final Pattern ROLE = Pattern.compile("[a-z_]+");

    private final PghaConfig config;
    private final PgBackRest pgbackrest;
    private final PostgresEnvironment env;
    private final DataDirectory data;
    private final ConfigFiles files;
    private final Credentials credentials;
    private final BooleanSupplier closing;

    BackupRestore(
            PghaConfig config,
            PgBackRest pgbackrest,
            PostgresEnvironment env,
            DataDirectory data,
            ConfigFiles files,
            Credentials credentials,
            BooleanSupplier closing) {
        this.credentials = credentials;
        this.config = config;
        this.pgbackrest = pgbackrest;
        this.env = env;
        this.data = data;
        this.files = files;
        this.closing = closing;
    }

    /** Restores {@code restore} into the empty PGDATA; throws {@link LocalPostgres.Fatal} with the cause. */
    void run(PghaConfig.Restore restore, Consumer<String> progress) {
        String from = restore.fromCluster();
        RecoveryTarget target = restore.target();
        String where = config.backup().repository().orElseThrow().describe();
        pgbackrest.prepare(Optional.of(from));
        progress.accept("restoring: reading the backups of cluster " + from);
        BackupCatalog catalog;
        try {
            catalog = pgbackrest.info(from);
        } catch (RuntimeException e) {
            throw new LocalPostgres.Fatal(
                    "cannot restore from cluster " + from + ": reading " + where + " failed: " + e.getMessage());
        }
        if (catalog.readError().isPresent()) {
            throw new LocalPostgres.Fatal("cannot restore from cluster " + from + ": reading " + where + " failed: "
                    + catalog.readError().get());
        }
        BackupCatalog.Set base = catalog.baseFor(target)
                .orElseThrow(() -> new LocalPostgres.Fatal(
                        "cannot restore to " + target.describe() + ": " + catalog.explainNoBase(target)));
        log.info(
                "restoring backup {} ({}, {}, finished {}) of cluster {} from {}, then replaying its archive to {}",
                base.label(),
                base.type().word(),
                Formats.bytes(base.size()),
                base.stop(),
                from,
                where,
                target.describe());
        PostgresServer server = null;
        boolean done = false;
        try {
            PrivateFiles.write(data.initMarker(), new byte[0]);
            files.prepareDirectory(data.path());
            files.prepareDirectory(config.runDir());
            progress.accept("restoring backup " + base.label() + " of cluster " + from);
            ProcessRunner.Result r = pgbackrest.restore(from, base.label(), data.path(), line -> {
                if (line.contains("WARN:") || line.contains("ERROR:")) {
                    log.warn("pgbackrest: {}", RelayedLine.clean(line));
                }
            });
            if (!r.ok()) {
                throw new LocalPostgres.Fatal(
                        "restoring backup " + base.label() + " of cluster " + from + " failed: " + r.tail(2));
            }
            files.recovery(PostgresConf.recovery(pgbackrest.restoreCommand(from), targetSettings(target)));
            files.write(null);
            // the restored roles have the source cluster's passwords: pgha resets its own over the socket (peer)
            files.writeHba(PEER_FOR_RESET + files.access().hba());
            Path signal = data.path().resolve("recovery.signal");
            PrivateFiles.write(signal, new byte[0]);
            env.osUser().own(signal);
            progress.accept("restoring: replaying the archive of cluster " + from + " to " + target.describe());
            server = PostgresServer.start(env.binaries(), env.osUser(), data.path());
            long t0 = System.nanoTime();
            awaitPromotion(server, signal, from, target, progress);
            resetRoles();
            // the new cluster's own stanza, before its postgres archives anything (it reads the promoted postgres)
            ProcessRunner.Result stanza = pgbackrest.stanzaCreate();
            if (!stanza.ok()) {
                throw new LocalPostgres.Fatal("restored, but cannot create the new cluster's stanza "
                        + pgbackrest.stanza() + " in " + where + ": " + stanza.tail(1));
            }
            log.info(
                    "replayed the archive of cluster {} to {} in {} ms; stopping postgres to start it as the leader",
                    from,
                    target.describe(),
                    (System.nanoTime() - t0) / 1_000_000);
            server.stop(config.postgres().stopTimeout());
            server = null;
            files.recovery(null);
            files.write(null);
            Files.delete(data.initMarker());
            done = true;
        } catch (IOException e) {
            throw new LocalPostgres.Fatal("cannot restore into " + data.path() + ": " + e.getMessage());
        } finally {
            files.recovery(null);
            if (server != null) {
                server.stopImmediately();
            }
            if (!done) {
                discard();
            }
        }
    }

    /**
     * Waits until postgres reached the target and promoted: it removes recovery.signal when recovery ends and then
     * accepts connections. (pgha's own login cannot tell: the restored roles still have the source's passwords.)
     */
    private void awaitPromotion(
            PostgresServer server, Path signal, String from, RecoveryTarget target, Consumer<String> progress) {
        long started = System.nanoTime();
        long lastReport = started;
        while (true) {
            if (!server.isAlive()) {
                String why = server.lastProblem();
                throw new LocalPostgres.Fatal(
                        "cannot restore cluster " + from + " to " + target.describe() + ": " + explain(why));
            }
            if (closing.getAsBoolean()) {
                throw new LocalPostgres.Fatal("restore abandoned: pgha is stopping (the next start restores again)");
            }
            Optional<DataDirectory.PostmasterPid> pid = data.postmasterPid();
            if (!Files.exists(signal)
                    && pid.isPresent()
                    && pid.get().pid() == server.pid()
                    && pid.get().ready()) {
                return;
            }
            if (System.nanoTime() - lastReport > 10_000_000_000L) {
                lastReport = System.nanoTime();
                progress.accept("restoring: replaying the archive of cluster " + from + " to " + target.describe()
                        + " (" + (lastReport - started) / 1_000_000_000L + " s so far)");
            }
            sleep(100);
        }
    }

    /**
     * The restored database has the source cluster's passwords for pgha's three roles: set this cluster's, as SCRAM
     * verifiers (never the passwords), through psql on the unix socket as the OS user postgres (peer), from a private
     * file that is deleted again.
     */
    private void resetRoles() throws IOException {
        // recovery.signal goes before the end-of-recovery checkpoint: writes are allowed only once it is done
        StringBuilder sql = new StringBuilder("SET synchronous_commit = local;\n"
                + "DO $$ BEGIN FOR i IN 1..6000 LOOP EXIT WHEN NOT pg_is_in_recovery(); PERFORM pg_sleep(0.1);"
                + " END LOOP; END $$;\n");
        Map<String, Secret> roles = new LinkedHashMap<>();
        roles.put(Credentials.SU_ROLE, credentials.suPassword());
        roles.put(Credentials.REPL_ROLE, credentials.replPassword());
        roles.put(Credentials.OPERATOR_ROLE, credentials.operatorPassword());
        for (Map.Entry<String, Secret> e : roles.entrySet()) {
            String verifier = PasswordUtil.encodeScramSha256(e.getValue().revealChars());
            if (!VERIFIER.matcher(verifier).matches()
                    || !ROLE.matcher(e.getKey()).matches()) {
                throw new LocalPostgres.Fatal("cannot set the roles' passwords after the restore: unexpected verifier");
            }
            // a role name of pgha's own and a verifier of [A-Za-z0-9+/=$:-]: nothing that needs quoting
            sql.append("ALTER ROLE ")
                    .append(e.getKey())
                    .append(" WITH PASSWORD '")
                    .append(verifier)
                    .append("';\n");
        }
        Path file = config.runDir().resolve("restore-roles.sql");
        try {
            PrivateFiles.write(file, sql.toString().getBytes(StandardCharsets.UTF_8));
            env.osUser().own(file);
            ProcessRunner.Result r = ProcessRunner.run(
                    env.osUser()
                            .wrap(List.of(
                                    env.binaries().tool("psql").toString(),
                                    "-X",
                                    "-q",
                                    "-v",
                                    "ON_ERROR_STOP=1",
                                    "-h",
                                    config.runDir().toString(),
                                    "-p",
                                    Integer.toString(config.postgres().port()),
                                    "-U",
                                    Credentials.OPERATOR_ROLE,
                                    "-d",
                                    "postgres",
                                    "-f",
                                    file.toString())),
                    Duration.ofMinutes(1));
            if (!r.ok()) {
                throw new LocalPostgres.Fatal(
                        "restored, but cannot set this cluster's passwords for pgha's roles: " + r.tail(1));
            }
        } finally {
            Files.deleteIfExists(file);
        }
    }

    /** postgres's own words, with what they mean for a restore. */
    static String explain(String postgresSaid) {
        if (postgresSaid.contains("recovery ended before configured recovery target was reached")) {
            return "the archive ends before the target (WAL missing from the repository, or a target in the future):"
                    + " " + postgresSaid;
        }
        if (postgresSaid.contains("before consistent recovery point")) {
            return "the target lies inside the backup (before it finished): " + postgresSaid;
        }
        return postgresSaid;
    }

    private static Map<String, String> targetSettings(RecoveryTarget target) {
        return switch (target.kind()) {
            case LATEST -> Map.of();
            case TIME -> Map.of("recovery_target_time", target.value().orElseThrow());
            case NAME -> Map.of("recovery_target_name", target.value().orElseThrow());
            case LSN -> Map.of("recovery_target_lsn", target.value().orElseThrow());
        };
    }

    /** Leaves an empty data directory (and the init marker), so no later start mistakes it for a cluster. */
    private void discard() {
        try {
            PostgresEnvironment.deleteContents(data.path());
        } catch (IOException e) {
            log.error(
                    "cannot empty {} after the failed restore: {}; remove its contents by hand",
                    data.path(),
                    e.getMessage());
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new LocalPostgres.Fatal("restore interrupted");
        }
    }
}
