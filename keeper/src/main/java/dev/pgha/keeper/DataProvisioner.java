package dev.pgha.keeper;

import dev.pgha.common.PghaException;
import dev.pgha.common.config.PghaConfig;
import dev.pgha.common.fs.PrivateFiles;
import dev.pgha.common.secret.Credentials;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where the local data directory's contents come from: initdb (or the one begun ahead as the daemon started), a
 * restore of a backup, a copy of a member (pg_basebackup) or pg_rewind onto the leader's timeline. Each runs on the
 * keeper's action thread with postgres stopped; {@link LocalPostgres} stops it first and keeps its run state.
 */
final class DataProvisioner {
    private static final Logger log = LoggerFactory.getLogger(DataProvisioner.class);

    private final PghaConfig config;
    private final String memberId;
    private final Credentials credentials;
    private final PostgresEnvironment env;
    private final DataDirectory data;
    private final ConfigFiles files;
    private final ReplicaTools replicas;
    private final PgBackRest pgbackrest; // null: backups are off
    private final BooleanSupplier closing;
    private final Function<SQLException, String> describe;
    private volatile InitDbAhead ahead; // set before the keeper starts, taken by the action thread

    DataProvisioner(
            PghaConfig config,
            String memberId,
            Credentials credentials,
            PostgresEnvironment env,
            DataDirectory data,
            ConfigFiles files,
            ReplicaTools replicas,
            PgBackRest pgbackrest,
            BooleanSupplier closing,
            Function<SQLException, String> describe) {
        this.config = config;
        this.memberId = memberId;
        this.credentials = credentials;
        this.env = env;
        this.data = data;
        this.files = files;
        this.replicas = replicas;
        this.pgbackrest = pgbackrest;
        this.closing = closing;
        this.describe = describe;
    }

    /** A new cluster: initdb, or a restore of another cluster's backup when restore.from is set. */
    void initialize(Consumer<String> progress) {
        if (config.backup().restore().isPresent()) {
            new BackupRestore(config, pgbackrest, env, data, files, credentials, closing)
                    .run(config.backup().restore().get(), progress);
            return;
        }
        InitDbAhead staged = ahead;
        ahead = null;
        if (staged != null && staged.adoptInto(data.path())) {
            try {
                Files.deleteIfExists(data.initMarker()); // one left by an older start must not condemn this PGDATA
            } catch (IOException e) {
                throw new LocalPostgres.Fatal("cannot remove " + data.initMarker() + ": " + e.getMessage());
            }
            return;
        }
        InitDb.run(config, env, data, files, credentials);
        removeInitMarker();
    }

    /** An initdb begun as the daemon started, for {@link #initialize} to adopt (see {@link InitDbAhead}). */
    void initDbAhead(InitDbAhead staged) {
        ahead = staged;
    }

    /**
     * Replaces the data directory with a copy of {@code source}'s: a standby tagged cloneFrom ({@link CloneSource}), or
     * the leader. A standby's copy is taken only while the leader keeps the WAL that follows it (this member's slot
     * there reserves WAL from no later than the standby has replayed), and a failed one is followed by the leader's.
     */
    void cloneFrom(Upstream leader, Upstream source, Consumer<String> progress) {
        if (!source.memberId().equals(leader.memberId())) {
            String refusal = StandbyCopy.refusal(
                    leader, source, Upstream.slotName(memberId), credentials.suPassword(), closing, describe);
            if (refusal == null) {
                try {
                    copy(source, null, leader, progress);
                    return;
                } catch (PghaException e) {
                    refusal = e.getMessage();
                }
            }
            log.warn(
                    "not copying standby {} ({}); copying the leader {} instead",
                    source.memberId(),
                    refusal,
                    leader.memberId());
        }
        copy(leader, Upstream.slotName(memberId), leader, progress);
    }

    private void copy(Upstream source, String slot, Upstream leader, Consumer<String> progress) {
        Path pgdata = data.path();
        try {
            PrivateFiles.write(data.initMarker(), new byte[0]);
            PostgresEnvironment.deleteContents(pgdata);
            files.prepareDirectory(pgdata);
            files.prepareDirectory(config.runDir());
            replicas.writePassfile(credentials, leader, source);
        } catch (IOException e) {
            throw new PghaException("cannot prepare " + pgdata + " for a clone: " + e.getMessage());
        }
        long t0 = System.nanoTime();
        String role = source.equals(leader) ? "" : " (a standby of " + leader.memberId() + ")";
        log.info(
                "cloning member {}{} ({}:{}) with pg_basebackup",
                source.memberId(),
                role,
                source.host(),
                source.port());
        String what = "cloning member " + source.memberId() + ": ";
        progress.accept(what + "starting pg_basebackup");
        replicas.cloneFrom(source, slot, pgdata, done -> progress.accept(what + done));
        removeInitMarker();
        log.info("cloned member {} in {} ms", source.memberId(), (System.nanoTime() - t0) / 1_000_000);
    }

    private void removeInitMarker() {
        try {
            Files.delete(data.initMarker());
        } catch (IOException e) {
            throw new LocalPostgres.Fatal("cannot remove " + data.initMarker() + ": " + e.getMessage());
        }
    }

    /** Throws unless the leader answers (and has a checkpoint on its timeline: pg_rewind reads its control file). */
    void requireAnswer(Upstream leader) {
        try (PgClient source = new PgClient(leader.host(), leader.port(), credentials.suPassword())) {
            source.checkpoint(); // a freshly promoted leader's control file still names the old timeline
        } catch (SQLException e) {
            throw new PghaException("not rewinding: member " + leader.memberId() + " does not answer ("
                    + describe.apply(e) + "); this member's postgres keeps running");
        }
    }

    /**
     * Rewinds the stopped local data onto the leader's timeline; a fresh clone of the leader when pg_rewind cannot, or
     * when a standby that could not follow ({@code stuck}) turns out to have nothing pg_rewind would change.
     */
    void rewind(Upstream leader, boolean stuck, Consumer<String> progress) {
        try {
            files.prepareDirectory(config.runDir());
            replicas.writePassfile(credentials, leader);
            // pg_rewind recovers a crashed target in single-user mode first, which refuses a standby.signal
            Files.deleteIfExists(files.standbySignal());
            files.write(null);
        } catch (IOException e) {
            throw new PghaException("cannot prepare " + data.path() + " for pg_rewind: " + e.getMessage());
        }
        long t0 = System.nanoTime();
        progress.accept("rewinding onto member " + leader.memberId() + "'s timeline with pg_rewind");
        ProcessRunner.Result r = replicas.rewind(leader, data.path());
        String said = r.output().stream()
                .filter(l -> l.contains("diverged") || l.contains("no rewind required") || l.contains("rewinding from"))
                .map(l -> l.replaceFirst("^pg_rewind: ", ""))
                .reduce((a, b) -> a + "; " + b)
                .orElse(r.tail(1));
        if (r.ok() && stuck && said.contains("no rewind required")) {
            log.warn(
                    "this standby could not follow member {} and pg_rewind finds nothing to rewind; cloning it afresh",
                    leader.memberId());
            cloneFrom(leader, leader, progress);
            return;
        }
        if (r.ok()) {
            log.info(
                    "rewound the data onto member {}'s timeline in {} ms ({})",
                    leader.memberId(),
                    (System.nanoTime() - t0) / 1_000_000,
                    said);
            return;
        }
        log.warn("pg_rewind from member {} failed ({}); cloning it afresh instead", leader.memberId(), r.tail(2));
        cloneFrom(leader, leader, progress);
    }
}
