package dev.pgha.keeper;

import dev.pgha.common.backup.BackupJob;
import dev.pgha.common.health.Formats;
import dev.pgha.common.store.ClusterSnapshot;
import dev.pgha.common.store.ClusterStore;
import dev.pgha.common.store.StoreException;
import dev.pgha.common.store.Versioned;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The leader's part in backups: its stanza exists in the repository (created once per leadership; the archive of
 * a new leader continues the cluster's), and the cluster's backup job is taken up when asked for — claimed in the
 * store with compare-and-set, run by pgBackRest on the "backup" thread (never on the keeper's loop: a backup takes
 * as long as the database is large), its progress and outcome written back to the job. A job left RUNNING by a member
 * that is gone, or by this member's previous run, is marked failed so the next one can start.
 *
 * <p>Called on the keeper's thread; the worker thread only runs pgBackRest and writes the job it claimed.
 */
final class BackupUpkeep implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(BackupUpkeep.class);
    private static final Duration READ_EVERY = Duration.ofSeconds(2);
    private static final Duration STANZA_RETRY = Duration.ofSeconds(30);
    private static final Duration PROGRESS_EVERY = Duration.ofSeconds(5); // into the job, for status and the CLI
    private static final Duration LOG_PROGRESS_EVERY = Duration.ofSeconds(30);
    /** pgBackRest's detail lines: "backup file /data/base/1/1249 (456KB, 12.34%) checksum ...". */
    private static final Pattern PERCENT = Pattern.compile("\\(([^,()]+), (\\d{1,3}(?:\\.\\d+)?)%\\)");

    private final String memberId;
    private final ClusterStore store;
    private final PgBackRest pgbackrest;
    private final ExecutorService worker = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "backup");
        t.setDaemon(true);
        return t;
    });
    private Future<?> stanza; // the stanza check of this leadership, while it runs
    private volatile long stanzaEpoch = -1; // the postgres epoch whose stanza is in place
    private volatile Instant stanzaRetryAt = Instant.MIN;
    private volatile boolean stanzaOk;
    private volatile String runningJob; // id of the job the worker runs
    private Instant nextRead = Instant.MIN;
    private boolean changed = true;

    BackupUpkeep(String memberId, ClusterStore store, PgBackRest pgbackrest) {
        this.memberId = memberId;
        this.store = store;
        this.pgbackrest = pgbackrest;
    }

    /** The job changed in the store: look at it on the next tick. */
    void jobChanged() {
        changed = true;
    }

    /** Called on every tick while this member leads with a converged primary (postgres epoch {@code epoch}). */
    void lead(ClusterSnapshot s, long epoch) {
        if (stanzaEpoch != epoch
                && (stanza == null || stanza.isDone())
                && !Instant.now().isBefore(stanzaRetryAt)) {
            stanzaEpoch = epoch;
            stanzaOk = false;
            stanza = worker.submit(this::ensureStanza);
        }
        if (!changed && Instant.now().isBefore(nextRead)) {
            return;
        }
        changed = false;
        nextRead = Instant.now().plus(READ_EVERY);
        Optional<Versioned<BackupJob>> current;
        try {
            current = store.backupJob();
        } catch (StoreException e) {
            return; // read again on a later tick
        }
        if (current.isEmpty()) {
            return;
        }
        BackupJob job = current.get().value();
        int version = current.get().version();
        switch (job.state()) {
            case REQUESTED -> {
                if (runningJob == null && stanzaOk) {
                    claim(job, version);
                }
            }
            case RUNNING -> abandonOrphan(s, job, version);
            default -> {
                // finished: nothing to do until the next request
            }
        }
    }

    private void ensureStanza() {
        ProcessRunner.Result r = pgbackrest.stanzaCreate();
        if (r.ok()) {
            stanzaOk = true;
            log.info(
                    "backups: stanza {} is ready in the repository; WAL is archived from this member",
                    pgbackrest.stanza());
        } else {
            stanzaEpoch = -1;
            stanzaRetryAt = Instant.now().plus(STANZA_RETRY);
            log.warn(
                    "backups: cannot create stanza {} in the repository ({}); trying again in {} s",
                    pgbackrest.stanza(),
                    r.tail(1),
                    STANZA_RETRY.toSeconds());
        }
    }

    private void claim(BackupJob job, int version) {
        BackupJob running = job.start(memberId, Instant.now());
        if (!store.compareAndSetBackupJob(running, Optional.of(version))) {
            return;
        }
        runningJob = job.id();
        log.info("backup: taking a {} backup (requested by {})", job.type().word(), job.requestedBy());
        worker.submit(() -> run(running, version + 1));
    }

    /** A job RUNNING by a member that is gone, or by this member's previous run, will never finish. */
    private void abandonOrphan(ClusterSnapshot s, BackupJob job, int version) {
        String why = null;
        if (memberId.equals(job.member()) && !job.id().equals(runningJob)) {
            why = "interrupted: pgha on member " + memberId + " restarted during the backup, or lost the store while"
                    + " recording its outcome";
        } else if (!memberId.equals(job.member()) && s.keeper(job.member()).isEmpty()) {
            why = "interrupted: member " + job.member() + " stopped during the backup";
        }
        if (why != null) {
            log.warn("backup: the {} backup started at {} was {}", job.type().word(), job.startedAt(), why);
            store.compareAndSetBackupJob(job.fail(why, Instant.now()), Optional.of(version));
        }
    }

    private void run(BackupJob job, int claimedVersion) {
        int[] version = {claimedVersion};
        long[] lastReport = {System.nanoTime()};
        long[] lastLogged = {System.nanoTime()};
        long t0 = System.nanoTime();
        try {
            ProcessRunner.Result r = pgbackrest.backup(job.type(), memberId, line -> {
                boolean event = line.contains(" INFO: ") || line.contains(" WARN: ") || line.contains(" ERROR: ");
                if (event && !line.contains("command begin")) { // that one lists every option: too long to read
                    log.info("backup: {}", RelayedLine.clean(line.replaceFirst("^.*?P\\d\\d +", "")));
                }
                Matcher m = PERCENT.matcher(line);
                if (m.find() && System.nanoTime() - lastReport[0] > PROGRESS_EVERY.toNanos()) {
                    lastReport[0] = System.nanoTime();
                    String progress = m.group(2) + "% copied";
                    version[0] = write(job.progress(progress), version[0]);
                    if (System.nanoTime() - lastLogged[0] > LOG_PROGRESS_EVERY.toNanos()) {
                        lastLogged[0] = System.nanoTime();
                        log.info(
                                "backup: {} backup {} ({} s so far)",
                                job.type().word(),
                                progress,
                                (System.nanoTime() - t0) / 1_000_000_000L);
                    }
                }
            });
            if (!r.ok()) {
                String why = "pgbackrest backup failed: " + r.tail(1);
                log.warn("backup: {}", why);
                write(job.fail(why, Instant.now()), version[0]);
                return;
            }
            BackupCatalog.Set taken = pgbackrest
                    .info(pgbackrest.stanza())
                    .latest()
                    .orElseThrow(() -> new IllegalStateException("the repository lists no backup after one succeeded"));
            log.info(
                    "backup: {} backup {} finished in {} s: {} of data, {} added to the repository",
                    job.type().word(),
                    taken.label(),
                    (System.nanoTime() - t0) / 1_000_000_000,
                    Formats.bytes(taken.size()),
                    Formats.bytes(taken.repoSize()));
            write(job.succeed(taken.label(), taken.size(), taken.repoSize(), Instant.now()), version[0]);
        } catch (RuntimeException e) {
            log.warn("backup: failed: {}", e.getMessage());
            write(job.fail(String.valueOf(e.getMessage()), Instant.now()), version[0]);
        } finally {
            runningJob = null;
        }
    }

    /** Writes the claimed job's next state; returns the version it now has (unchanged when the write failed). */
    private int write(BackupJob next, int version) {
        try {
            if (store.compareAndSetBackupJob(next, Optional.of(version))) {
                return version + 1;
            }
            log.warn("backup: the job was changed by someone else; not recording {}", next.state());
        } catch (StoreException e) {
            log.warn("backup: cannot record {} in the store: {}", next.state(), e.getMessage());
        }
        return version;
    }

    @Override
    public void close() {
        worker.shutdownNow();
        try {
            worker.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
