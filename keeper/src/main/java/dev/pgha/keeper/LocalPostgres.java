package dev.pgha.keeper;

import dev.pgha.common.PghaException;
import dev.pgha.common.config.PghaConfig;
import dev.pgha.common.model.Lsn;
import dev.pgha.common.model.Role;
import dev.pgha.common.secret.Credentials;
import dev.pgha.common.secret.SecretStore;
import java.io.IOException;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.function.BiConsumer;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The local postgres and its data directory: what it is (running, which upstream, how often it failed to start)
 * and what can be done to it (create, clone, rewind, start, follow, promote, stop). The keeper's loop reads it
 * between actions; an action runs on the keeper's action thread while the loop leaves it alone, so one thread at a
 * time touches it (the fields the loop reads during an action are volatile).
 */
final class LocalPostgres {
    private static final Logger log = LoggerFactory.getLogger(LocalPostgres.class);
    /** A postgres that stayed up this long is healthy again: its next crash restarts it at once. */
    private static final Duration STABLE_UPTIME = Duration.ofSeconds(30);

    private static final Duration MAX_BACKOFF = Duration.ofSeconds(30);

    private static final int PROMOTE_TIMEOUT_SECONDS = 60;

    /** An action that cannot be retried: the daemon stops (the supervisor reports it). */
    static final class Fatal extends PghaException {
        Fatal(String message) {
            super(message);
        }
    }

    private final PghaConfig config;
    private final Credentials credentials;
    private final PostgresEnvironment env;
    private final DataDirectory data;
    private final PgClient client;
    private final ReplicaTools replicas;
    private final ConfigFiles files;
    private final PgBackRest pgbackrest; // null: backups are off
    private final BooleanSupplier closing;
    private final DataProvisioner provisioner;
    private volatile PostgresServer server;
    /** Told when postgres stops (false) or is ready (true, in its role): whoever runs callbacks on it. */
    private volatile BiConsumer<Boolean, Role> runState = (up, role) -> {};

    private volatile String upstream; // the member the standby configuration points at
    private volatile long epoch; // counts starts and promotions: a new primary sets up its roles again
    private volatile boolean standbySettingsLeft; // promoted: the configuration still names the former upstream
    private Instant startedAt;
    private int consecutiveFailures;
    private Instant nextStartAt = Instant.MIN;
    private volatile String lastStartProblem; // why the last start failed

    LocalPostgres(
            PghaConfig config,
            String memberId,
            Credentials credentials,
            PostgresEnvironment env,
            MemoryProbe.Budget memory,
            BooleanSupplier closing) {
        this.config = config;
        this.credentials = credentials;
        this.env = env;
        this.closing = closing;
        this.data = PostgresEnvironment.dataDirectory(config);
        this.client = new PgClient(config.postgres().port(), credentials.suPassword());
        this.replicas = new ReplicaTools(
                env.binaries(),
                env.osUser(),
                config.runDir(),
                ServerTls.clientSettings(config.tlsDir(), config.tls().isPresent()));
        this.files = new ConfigFiles(config, memberId, env.osUser(), memory, data.path(), replicas.passfile());
        this.pgbackrest =
                config.backup().enabled() ? new PgBackRest(config, env.osUser(), credentials.suPassword()) : null;
        if (pgbackrest != null) {
            files.archiveCommand(pgbackrest.archiveCommand());
        }
        this.provisioner = new DataProvisioner(
                config, memberId, credentials, env, data, files, replicas, pgbackrest, closing, this::describe);
    }

    /** pgBackRest with this node's configuration, when backups are configured. */
    Optional<PgBackRest> pgbackrest() {
        return Optional.ofNullable(pgbackrest);
    }

    PostgresOsUser osUser() {
        return env.osUser();
    }

    ConfigFiles files() {
        return files;
    }

    DataDirectory data() {
        return data;
    }

    /** The keeper's own connection to the local postgres (loop thread, between actions). */
    PgClient client() {
        return client;
    }

    /** pgha started postgres and has not seen it stop. */
    boolean running() {
        return server != null;
    }

    /** The running postgres process is alive. */
    boolean alive() {
        PostgresServer s = server;
        return s != null && s.isAlive();
    }

    boolean standbyConfigured() {
        return files.standbyConfigured();
    }

    String upstream() {
        return upstream;
    }

    long epoch() {
        return epoch;
    }

    int consecutiveFailures() {
        return consecutiveFailures;
    }

    /** Why the last failed start failed, in postgres's words. */
    String lastStartProblem() {
        return lastStartProblem;
    }

    /** The next start may run at once: what made the last one fail was put right. */
    void startAgainNow() {
        nextStartAt = Instant.MIN;
    }

    /** Not within the backoff after a failed start or a crash. */
    boolean startDue() {
        return !Instant.now().isBefore(nextStartAt);
    }

    /**
     * What postgres reports about itself; null when it does not run. Each look is also told to the run-state listener
     * (a postgres that runs but does not answer tells it nothing).
     */
    PgClient.PgState query() throws SQLException {
        if (!alive()) {
            runState.accept(false, Role.NONE);
            return null;
        }
        PgClient.PgState state = client.state();
        runState.accept(true, PgClient.roleOf(state));
        return state;
    }

    /**
     * When postgres died since the last look: forgets it, schedules the restart (a backoff once it keeps crashing)
     * and returns why it exited, in one line; null while it runs or was stopped by pgha.
     */
    /**
     * As {@link #reapExited()}, after waiting up to {@code grace} for the postmaster to end: a postmaster that crashed
     * ends its backends' connections a moment before the process itself is gone, so the query that failed on it would
     * otherwise be reported instead of the crash.
     */
    String reapExited(Duration grace) {
        PostgresServer s = server;
        if (s != null) {
            s.awaitExit(grace);
        }
        return reapExited();
    }

    String reapExited() {
        PostgresServer dead = server;
        if (dead == null || dead.isAlive()) {
            return null;
        }
        server = null;
        runState.accept(false, Role.NONE);
        if (startedAt != null && Duration.between(startedAt, Instant.now()).compareTo(STABLE_UPTIME) > 0) {
            consecutiveFailures = 0;
        }
        Duration wait = backoff(consecutiveFailures++);
        nextStartAt = Instant.now().plus(wait);
        log.warn(
                "postgres (pid {}) exited unexpectedly with code {} ({}); restarting it{}",
                dead.pid(),
                dead.exitCode(),
                dead.lastProblem(),
                wait.isZero() ? "" : " in " + wait.toSeconds() + " s");
        return "postgres exited unexpectedly with code " + dead.exitCode() + ": " + dead.lastProblem();
    }

    /**
     * A former primary stopped cleanly (a switchover's demote) reports where its WAL ends, so the sentinel can tell
     * when the target has received all of it; 0 otherwise.
     */
    long stoppedPrimaryLsn() {
        if (server != null || files.standbyConfigured() || !data.initialized()) {
            return 0;
        }
        return data.cleanShutdownCheckpoint().orElse(0);
    }

    /** Stopped, and its last shutdown was clean. */
    boolean cleanlyStopped() {
        return server == null && data.cleanShutdownCheckpoint().isPresent();
    }

    // ---- actions --------------------------------------------------------------------------------------------

    /** A new cluster: initdb, or a restore of another cluster's backup when restore.from is set. */
    void initialize(Consumer<String> progress) {
        provisioner.initialize(progress);
    }

    /** An initdb begun as the daemon started, for {@link #initialize} to adopt (see {@link InitDbAhead}). */
    void initDbAhead(InitDbAhead staged) {
        provisioner.initDbAhead(staged);
    }

    /**
     * Replaces the data directory with a copy of {@code source}'s (a standby tagged cloneFrom, or the leader; see
     * {@link DataProvisioner#cloneFrom}); the next start may run at once.
     */
    void cloneFrom(Upstream leader, Upstream source, Consumer<String> progress) {
        provisioner.cloneFrom(leader, source, progress);
        startsAfresh();
    }

    /**
     * Rewinds the local data onto the leader's timeline; a fresh clone when pg_rewind cannot, or when a standby that
     * could not follow ({@code stuck}) turns out to have nothing pg_rewind would change.
     */
    void rewind(Upstream leader, boolean stuck, Consumer<String> progress) {
        // The leader must answer before anything here is stopped: a standby that stopped streaming because its leader
        // became unreachable (a partition, a store outage with a stale view) keeps running and reporting its position,
        // which the sentinel needs to choose the next leader; pg_rewind could do nothing for it anyway.
        provisioner.requireAnswer(leader);
        PostgresServer current = server;
        if (current != null) {
            stop(current);
            server = null;
        }
        provisioner.rewind(leader, stuck, progress);
        startsAfresh();
    }

    /** New data (a clone, a rewind): earlier failed starts say nothing about the next. */
    private void startsAfresh() {
        consecutiveFailures = 0;
        nextStartAt = Instant.MIN;
    }

    /**
     * Points the running standby at {@code leader}, or at nobody (null: it stops receiving WAL); postgres 13+ re-reads
     * primary_conninfo on reload.
     */
    void follow(Upstream leader) {
        String before = upstream;
        try {
            if (leader != null) {
                replicas.writePassfile(credentials, leader);
            }
            files.write(leader);
            standbySettingsLeft = false;
            client.reload();
        } catch (IOException | SQLException e) {
            throw new PghaException((leader == null
                            ? "cannot stop the standby's WAL receiver: "
                            : "cannot point the standby at member " + leader.memberId() + ": ")
                    + e.getMessage());
        }
        upstream = leader == null ? null : leader.memberId();
        if (leader == null) {
            log.info("stopped receiving WAL from member {}", before);
        } else {
            log.info("now following member {} ({}:{})", leader.memberId(), leader.host(), leader.port());
        }
    }

    /** Promotes the local standby; returns once it accepts writes. */
    void promote(long generation) {
        long t0 = System.nanoTime();
        try {
            if (!client.promote(PROMOTE_TIMEOUT_SECONDS)) {
                throw new PghaException(
                        "postgres did not finish its promotion within " + PROMOTE_TIMEOUT_SECONDS + " s");
            }
        } catch (SQLException e) {
            throw new PghaException("promotion failed: " + describe(e));
        }
        upstream = null;
        epoch++;
        standbySettingsLeft = true; // a primary ignores them: dropped once it serves (dropStandbySettings)
        log.info(
                "promoted: this member leads the cluster (generation {}) after {} ms",
                generation,
                (System.nanoTime() - t0) / 1_000_000);
    }

    /**
     * Drops the standby settings a promotion left in the configuration, for the next start's sake (every start
     * writes it again too). Not part of the promotion: its ~20-40 ms (TLS files checked, files written and synced) would
     * delay the new leader's first write.
     */
    void dropStandbySettings() {
        if (!standbySettingsLeft) {
            return;
        }
        standbySettingsLeft = false;
        try {
            files.write(null);
        } catch (IOException e) {
            log.warn("cannot rewrite postgresql.conf after the promotion: {}", e.getMessage());
        }
    }

    /** Starts postgres as the leader ({@code leader} null) or as a standby of {@code leader}. */
    void start(Upstream leader) {
        if (pgbackrest != null) {
            pgbackrest.prepare(Optional.empty());
        }
        try {
            if (leader != null) {
                replicas.writePassfile(credentials, leader);
            }
            files.write(leader);
            standbySettingsLeft = false;
        } catch (IOException e) {
            throw new PghaException("cannot write postgres configuration into " + data.path() + ": " + e.getMessage());
        }
        upstream = leader == null ? null : leader.memberId();
        ScramWarmUp.begin(); // while postgres starts: the login that follows needs it
        PostgresServer started = PostgresServer.start(env.binaries(), env.osUser(), data.path());
        log.info(
                "starting postgres (pid {}, port {})",
                started.pid(),
                config.postgres().port());
        try {
            started.awaitReady(data, config.postgres().startTimeout(), closing);
        } catch (PghaException e) {
            stop(started);
            lastStartProblem = e.getMessage();
            Duration wait = backoff(++consecutiveFailures);
            nextStartAt = Instant.now().plus(wait);
            throw new PghaException(
                    e.getMessage() + (closing.getAsBoolean() ? "" : "; trying again in " + wait.toSeconds() + " s"));
        }
        server = started;
        startedAt = Instant.now();
        epoch++;
        client.close();
        log.info("postgres is ready (pid {})", started.pid());
        runState.accept(true, standbyConfigured() ? Role.STANDBY : Role.PRIMARY);
    }

    /**
     * Tells {@code listener} what each look at postgres finds and each time this keeper stops it, finds it gone or has
     * it ready: every one, not a sample (a switchover's demote and restart, or a re-clone within one action, fall
     * between two heartbeats).
     */
    void tellRunState(BiConsumer<Boolean, Role> listener) {
        this.runState = listener;
    }

    /** What the planner needs to know of this postgres, with what the keeper knows about it. */
    KeeperPlanner.Local facts(Role role, boolean stuck, String promisedTo) {
        return new KeeperPlanner.Local(
                data.initialized(),
                running(),
                role,
                standbyConfigured(),
                upstream(),
                stuck,
                cleanlyStopped(),
                promisedTo);
    }

    /** Stops a primary that must not take writes (another member, or nobody, leads). */
    void fence(String reason) {
        PostgresServer current = server;
        if (current == null) {
            return;
        }
        log.warn("fencing: stopping the local primary ({}); this member must not take writes", reason);
        stop(current);
        server = null;
        log.info("postgres stopped");
    }

    /** Shuts the primary down cleanly for a switchover: its last WAL reaches the standbys first. */
    void demote() {
        PostgresServer current = server;
        if (current == null) {
            return;
        }
        log.info("switchover: shutting postgres down cleanly (pid {})", current.pid());
        stop(current);
        server = null;
        log.info(
                "postgres stopped cleanly; its WAL ends at {}",
                data.cleanShutdownCheckpoint().stream()
                        .mapToObj(Lsn::format)
                        .findFirst()
                        .orElse("an unknown position (the shutdown was not clean)"));
    }

    /** Stops postgres for an operator's request: {@code doing} ("restarting", "re-cloning") and who asked. */
    void stopForRestart(String doing, String requestedBy) {
        PostgresServer current = server;
        if (current != null && current.isAlive()) {
            log.info("{}: stopping postgres (pid {}), as requested by {}", doing, current.pid(), requestedBy);
            stop(current);
        }
        server = null;
    }

    /**
     * Fast shutdown (immediate after postgres.stopTimeout). The keeper's own connection goes first, so postgres does
     * not report terminating it as an error in the log.
     */
    private void stop(PostgresServer s) {
        client.close();
        s.stop(config.postgres().stopTimeout());
        runState.accept(false, Role.NONE);
    }

    /** Second stop signal: immediate shutdown, from any thread. */
    void stopNow() {
        PostgresServer current = server;
        if (current != null) {
            current.stopImmediately();
        }
    }

    /** Stops postgres if it runs (fast; immediate after postgres.stopTimeout) and closes the connection. */
    void close() {
        PostgresServer current = server;
        if (current != null && current.isAlive()) {
            log.info("stopping postgres (pid {}, fast shutdown)", current.pid());
            stop(current);
            log.info("postgres stopped");
        }
        server = null;
        client.close();
    }

    private static Duration backoff(int failures) {
        if (failures <= 0) {
            return Duration.ZERO;
        }
        long seconds = 1L << Math.min(failures - 1, 5);
        return Duration.ofSeconds(Math.min(seconds, MAX_BACKOFF.toSeconds()));
    }

    /** One line for a SQL failure; a wrong password gets the fix spelled out. */
    String describe(SQLException e) {
        if ("28P01".equals(e.getSQLState())) {
            return "postgres rejected the password of " + Credentials.SU_ROLE + ": SU_PASSWORD (or "
                    + config.stateDir().resolve(SecretStore.FILE_NAME) + ") does not match the password stored in "
                    + "the cluster";
        }
        return e.getMessage();
    }
}
