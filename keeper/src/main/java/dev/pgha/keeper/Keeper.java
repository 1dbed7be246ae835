package dev.pgha.keeper;

import dev.pgha.common.PghaException;
import dev.pgha.common.concurrent.Closeables;
import dev.pgha.common.concurrent.OwnerLoop;
import dev.pgha.common.config.PghaConfig;
import dev.pgha.common.fs.PrivateFiles;
import dev.pgha.common.model.ClusterView;
import dev.pgha.common.model.Json;
import dev.pgha.common.model.KeeperStatus;
import dev.pgha.common.model.Role;
import dev.pgha.common.secret.Credentials;
import dev.pgha.common.secret.SecretStore;
import dev.pgha.common.store.ClusterStore;
import dev.pgha.common.store.StoreException;
import dev.pgha.common.store.Versioned;
import java.io.Closeable;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.apache.curator.framework.recipes.nodes.PersistentNode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Owns the local postgres: converges it to the role the cluster view assigns (initdb when designated, start when
 * leading, stop when another member leads) and publishes its status every heartbeat. All state below is owned by
 * the single "keeper" thread.
 */
public final class Keeper implements Closeable {
    private static final Logger log = LoggerFactory.getLogger(Keeper.class);
    private static final String INIT_MARKER = "initdb-incomplete";
    private static final Duration INITDB_TIMEOUT = Duration.ofMinutes(10);
    /** A postgres that stayed up this long is healthy again: its next crash restarts it at once. */
    private static final Duration STABLE_UPTIME = Duration.ofSeconds(30);
    private static final Duration MAX_BACKOFF = Duration.ofSeconds(30);

    /** What preflight found: the binaries and the OS user postgres runs as. */
    public record Environment(PgBinaries binaries, PostgresOsUser osUser) {
    }

    private final PghaConfig config;
    private final String memberId;
    private final Credentials credentials;
    private final ClusterStore store;
    private final Environment env;
    private final MemoryProbe.Budget memory;
    private final Consumer<PghaException> onFatal;
    private final Runnable onServing;
    private volatile boolean serving;
    private final DataDirectory data;
    private final PgClient client;
    private final OwnerLoop loop;
    private volatile boolean closing;

    // owned by the keeper thread
    private volatile PostgresServer server;
    private Closeable viewWatch;
    private PersistentNode statusNode;
    private ClusterView lastView = ClusterView.initial();
    private boolean storeDown;
    private String lastActionReason;
    private String problem;
    private boolean rolesEnsured;
    private int consecutiveFailures;
    private Instant nextStartAt = Instant.MIN;
    private Instant startedAt;
    private long appliedGeneration;

    public Keeper(PghaConfig config, String memberId, Credentials credentials, ClusterStore store, Environment env,
                  Map<String, String> processEnv, Consumer<PghaException> onFatal, Runnable onServing) {
        this.config = config;
        this.memberId = memberId;
        this.credentials = credentials;
        this.store = store;
        this.env = env;
        this.onFatal = onFatal;
        this.onServing = onServing;
        this.memory = MemoryProbe.detect(config.postgres().memoryBytes(), processEnv);
        this.data = dataDirectory(config);
        this.client = new PgClient(config.postgres().port(), credentials.suPassword());
        this.loop = new OwnerLoop("keeper", log, this::tickSafely);
    }

    private static DataDirectory dataDirectory(PghaConfig config) {
        return new DataDirectory(config.pgData(), config.stateDir().resolve(INIT_MARKER));
    }

    /**
     * Runs before anything else starts: checks that postgres can run here (binaries present, OS user usable, PGDATA
     * reachable) and cleans up what an earlier run left behind, so its ports and files are free.
     */
    public static Environment preflight(PghaConfig config, Map<String, String> processEnv) {
        PgBinaries binaries = PgBinaries.locate(config.postgres().binDir(), config.postgres().installRoot(),
                processEnv.get("PATH"));
        PostgresOsUser user = PostgresOsUser.detect(config.postgres().osUser());
        try {
            user.requireReachable(config.pgData());
        } catch (IOException e) {
            throw new PghaException("cannot check access to " + config.pgData() + ": " + e.getMessage());
        }
        Environment env = new Environment(binaries, user);
        recoverLeftovers(config, dataDirectory(config), env);
        return env;
    }

    public void start() {
        log.info("member {}: PostgreSQL {} from {}, running as OS user {}, tuned for {} MB ({})", memberId,
                env.binaries().majorVersion(), env.binaries().binDir(), env.osUser().name(),
                memory.bytes() >> 20, memory.source());
        viewWatch = store.watch(store.paths().view(), loop::trigger);
        loop.runEvery(config.keeperHeartbeat());
    }

    private void tickSafely() {
        if (closing) {
            return;
        }
        try {
            tick();
        } catch (Fatal e) {
            // reported by the supervisor
        } catch (PghaException e) {
            problem = e.getMessage();
            log.warn("{}", e.getMessage());
        }
    }

    private void tick() {
        ClusterView view = readView();
        PostgresServer current = server;
        if (current != null && !current.isAlive()) {
            onUnexpectedExit(current);
        }
        PgClient.PgState state = queryIfRunning();
        Role role = state == null ? Role.NONE : state.inRecovery() ? Role.STANDBY : Role.PRIMARY;
        KeeperAction action = KeeperPlanner.decide(memberId, view,
                new KeeperPlanner.Local(data.initialized(), server != null, role));
        if (!action.reason().equals(lastActionReason)) {
            lastActionReason = action.reason();
            if (action.kind() == KeeperAction.Kind.REFUSE) {
                log.error("{}", action.reason());
            } else {
                log.info("{}", action.reason());
            }
        }
        switch (action.kind()) {
            case INITIALIZE -> {
                initialize();
                startPostgres();
            }
            case START -> {
                if (!Instant.now().isBefore(nextStartAt)) {
                    startPostgres();
                }
            }
            case FENCE -> fence(action.reason());
            case REFUSE -> problem = action.reason();
            case NONE -> appliedGeneration = view.generation();
            case WAIT -> {
                // the sentinel moves next
            }
        }
        if (server != null && action.kind() != KeeperAction.Kind.NONE) {
            state = queryIfRunning(); // it may have just started
        }
        if (state != null && !state.inRecovery() && !rolesEnsured) {
            ensureRoles();
        }
        publish(view, state, action);
    }

    private ClusterView readView() {
        try {
            Optional<Versioned<ClusterView>> v = store.view();
            lastView = v.map(Versioned::value).orElse(ClusterView.initial());
            if (storeDown) {
                log.info("store reachable again");
                storeDown = false;
            }
        } catch (StoreException e) {
            if (!storeDown) {
                log.warn("cannot read the cluster view, acting on the last one (generation {}): {}",
                        lastView.generation(), e.getMessage());
                storeDown = true;
            }
        }
        return lastView;
    }

    private PgClient.PgState queryIfRunning() {
        if (server == null || !server.isAlive()) {
            return null;
        }
        try {
            return client.state();
        } catch (SQLException e) {
            reportProblem("cannot query postgres: " + describe(e));
            return null;
        }
    }

    private void ensureRoles() {
        try {
            client.ensureRoles(credentials);
            rolesEnsured = true;
            log.info("roles {}, {} and {} are in place", Credentials.SU_ROLE, Credentials.REPL_ROLE,
                    Credentials.OPERATOR_ROLE);
        } catch (SQLException e) {
            reportProblem("cannot set up roles: " + describe(e));
        }
    }

    /** Records a problem for the status; logs it when it differs from the last one (no line every heartbeat). */
    private void reportProblem(String text) {
        if (!text.equals(problem)) {
            log.warn("{}", text);
        }
        problem = text;
    }

    /** One line for a SQL failure; a wrong password gets the fix spelled out. */
    private String describe(SQLException e) {
        if ("28P01".equals(e.getSQLState())) {
            return "postgres rejected the password of " + Credentials.SU_ROLE + ": SU_PASSWORD (or "
                    + config.stateDir().resolve(SecretStore.FILE_NAME) + ") does not match the password stored in "
                    + "the cluster";
        }
        return e.getMessage();
    }

    // ---- leftovers of an earlier run ------------------------------------------------------------------------

    /**
     * Cleans up after an earlier run that did not end cleanly: a half-done initdb is removed, and a postgres still
     * running on this PGDATA (its pgha was killed) is stopped, so it can never serve next to the cluster's leader.
     */
    private static void recoverLeftovers(PghaConfig config, DataDirectory data, Environment env) {
        try {
            if (Files.exists(data.initMarker())) {
                log.warn("an earlier initdb did not finish; emptying its partial data directory {} to run it again",
                        data.path());
                deleteContents(data.path());
                Files.deleteIfExists(data.initMarker());
            }
            Optional<DataDirectory.PostmasterPid> pid = data.postmasterPid();
            if (pid.isPresent() && ProcessHandle.of(pid.get().pid()).map(ProcessHandle::isAlive).orElse(false)) {
                if (data.isPostmasterOfThisDirectory(pid.get().pid())) {
                    log.warn("found postgres (pid {}) still running from an earlier pgha run; stopping it before "
                            + "taking over", pid.get().pid());
                    PostgresServer.stopOrphan(pid.get().pid(), env.binaries(), env.osUser(),
                            config.postgres().stopTimeout());
                    log.info("stopped the orphaned postgres (pid {})", pid.get().pid());
                } else {
                    log.info("removing stale postmaster.pid: pid {} is now another program", pid.get().pid());
                    data.removePostmasterPid();
                }
            }
        } catch (IOException e) {
            throw new PghaException("cannot clean up " + data.path() + " after an earlier run: " + e.getMessage());
        }
    }

    // ---- actions --------------------------------------------------------------------------------------------

    private void initialize() {
        Path pgdata = data.path();
        Path pwfile = config.runDir().resolve("initdb.pw");
        try {
            PrivateFiles.write(data.initMarker(), new byte[0]);
            prepareDirectory(pgdata);
            prepareDirectory(config.runDir());
            PrivateFiles.write(pwfile, (credentials.suPassword().reveal() + "\n").getBytes(StandardCharsets.UTF_8));
            env.osUser().own(pwfile);
        } catch (IOException e) {
            throw fatal(new PghaException("cannot prepare " + pgdata + " for initdb: " + e.getMessage()));
        }
        long t0 = System.nanoTime();
        ProcessRunner.Result r;
        try {
            r = ProcessRunner.run(env.osUser().wrap(List.of(
                    env.binaries().tool("initdb").toString(),
                    "--pgdata=" + pgdata,
                    "--username=" + Credentials.SU_ROLE,
                    "--pwfile=" + pwfile,
                    "--auth-host=scram-sha-256",
                    "--auth-local=scram-sha-256",
                    "--data-checksums",
                    "--encoding=UTF8",
                    "--locale=C.UTF-8")), INITDB_TIMEOUT);
        } finally {
            try {
                Files.deleteIfExists(pwfile);
            } catch (IOException e) {
                log.error("could not delete the initdb password file {}: {}", pwfile, e.getMessage());
            }
        }
        if (!r.ok()) {
            throw fatal(new PghaException("initdb failed with code " + r.exitCode() + ": " + r.tail(3)));
        }
        try {
            Files.delete(data.initMarker());
        } catch (IOException e) {
            throw fatal(new PghaException("cannot remove " + data.initMarker() + ": " + e.getMessage()));
        }
        log.info("created a new cluster in {} in {} ms (PostgreSQL {}, data checksums, scram-sha-256)", pgdata,
                (System.nanoTime() - t0) / 1_000_000, env.binaries().majorVersion());
    }

    private void startPostgres() {
        try {
            writeConfiguration();
        } catch (IOException e) {
            throw new PghaException("cannot write postgres configuration into " + data.path() + ": " + e.getMessage());
        }
        PostgresServer started = PostgresServer.start(env.binaries(), env.osUser(), data.path());
        log.info("starting postgres (pid {}, port {})", started.pid(), config.postgres().port());
        try {
            started.awaitReady(data, config.postgres().startTimeout(), () -> closing);
        } catch (PghaException e) {
            started.stop(config.postgres().stopTimeout());
            Duration wait = backoff(++consecutiveFailures);
            nextStartAt = Instant.now().plus(wait);
            throw new PghaException(e.getMessage() + (closing ? "" : "; trying again in " + wait.toSeconds() + " s"));
        }
        server = started;
        startedAt = Instant.now();
        rolesEnsured = false;
        client.close();
        log.info("postgres is ready (pid {})", started.pid());
    }

    private void onUnexpectedExit(PostgresServer dead) {
        server = null;
        if (startedAt != null && Duration.between(startedAt, Instant.now()).compareTo(STABLE_UPTIME) > 0) {
            consecutiveFailures = 0;
        }
        Duration wait = backoff(consecutiveFailures++);
        nextStartAt = Instant.now().plus(wait);
        problem = "postgres exited unexpectedly with code " + dead.exitCode() + ": " + dead.lastProblem();
        log.warn("postgres (pid {}) exited unexpectedly with code {} ({}); restarting it{}", dead.pid(),
                dead.exitCode(), dead.lastProblem(), wait.isZero() ? "" : " in " + wait.toSeconds() + " s");
    }

    private void fence(String reason) {
        PostgresServer current = server;
        if (current == null) {
            return;
        }
        log.warn("stopping the local primary: {}; this member must not take writes", reason);
        current.stop(config.postgres().stopTimeout());
        server = null;
        log.info("postgres stopped");
    }

    private void writeConfiguration() throws IOException {
        prepareDirectory(config.runDir());
        long disk = Files.getFileStore(data.path()).getTotalSpace();
        PgTuning tuning = new PgTuning(memory.bytes(), disk, config.postgres().port(),
                config.postgres().maxConnections(), config.runDir());
        writeOwned(data.path().resolve("postgresql.conf"), PostgresConf.render(tuning, memory.source()));
        writeOwned(data.path().resolve("pg_hba.conf"), PostgresConf.hba(Credentials.REPL_ROLE));
    }

    private void writeOwned(Path file, String content) throws IOException {
        PrivateFiles.write(file, content.getBytes(StandardCharsets.UTF_8));
        env.osUser().own(file);
    }

    private void prepareDirectory(Path dir) throws IOException {
        Files.createDirectories(dir);
        env.osUser().own(dir);
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
    }

    private void publish(ClusterView view, PgClient.PgState state, KeeperAction action) {
        boolean pgUp = state != null;
        // Healthy means converged: postgres answers, plays the role the view gives it, and its roles are set up.
        boolean healthy = pgUp && action.kind() == KeeperAction.Kind.NONE && (state.inRecovery() || rolesEnsured);
        if (healthy) {
            problem = null;
        }
        boolean wasServing = serving;
        serving = healthy && !state.inRecovery();
        if (serving && !wasServing) {
            onServing.run();
        }
        KeeperStatus status = new KeeperStatus(
                memberId,
                config.region().orElse(null),
                data.initialized(),
                data.systemIdentifier().orElse(0),
                pgUp,
                state == null ? Role.NONE : state.inRecovery() ? Role.STANDBY : Role.PRIMARY,
                state == null ? 0 : state.timeline(),
                state == null ? 0 : state.writtenLsn(),
                state == null ? 0 : state.receivedLsn(),
                state == null ? 0 : state.replayedLsn(),
                healthy,
                healthy ? null : problem != null ? problem : action.reason(),
                appliedGeneration,
                Instant.now());
        byte[] json = Json.write(status);
        try {
            if (statusNode == null) {
                statusNode = store.ephemeral(store.paths().keeper(memberId), json);
            } else {
                statusNode.setData(json);
            }
        } catch (Exception e) {
            log.debug("publishing keeper status failed: {}", e.toString());
        }
    }

    private static Duration backoff(int failures) {
        if (failures <= 0) {
            return Duration.ZERO;
        }
        long seconds = 1L << Math.min(failures - 1, 5);
        return Duration.ofSeconds(Math.min(seconds, MAX_BACKOFF.toSeconds()));
    }

    /** Hands {@code e} to the supervisor, which stops the daemon; the returned exception ends the tick quietly. */
    private Fatal fatal(PghaException e) {
        if (!closing) {
            closing = true;
            onFatal.accept(e);
        }
        return new Fatal(e);
    }

    /** Thrown out of a tick after a fatal error was handed to the supervisor; nothing more to log. */
    private static final class Fatal extends PghaException {
        Fatal(PghaException cause) {
            super(cause.getMessage(), cause);
        }
    }

    /** Deletes everything under {@code root} but not root itself (it may be a mount point). */
    private static void deleteContents(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).filter(p -> !p.equals(root)).toList()) {
                Files.delete(p);
            }
        }
    }

    /** True while the local postgres is up, converged and the primary: clients can be sent here. */
    public boolean serving() {
        return serving;
    }

    /** Second stop signal: immediate shutdown of postgres, from any thread. */
    public void stopNow() {
        closing = true;
        PostgresServer current = server;
        if (current != null) {
            current.stopImmediately();
        }
    }

    /** Stops the loop, then postgres (fast; immediate after postgres.stopTimeout), then withdraws the status. */
    @Override
    public void close() {
        closing = true;
        Closeables.closeQuietly(viewWatch);
        if (!loop.close(INITDB_TIMEOUT)) {
            log.warn("keeper loop did not finish; stopping postgres anyway");
        }
        PostgresServer current = server;
        if (current != null && current.isAlive()) {
            log.info("stopping postgres (pid {}, fast shutdown)", current.pid());
            current.stop(config.postgres().stopTimeout());
            log.info("postgres stopped");
        }
        server = null;
        client.close();
        Closeables.closeQuietly(statusNode);
    }
}
