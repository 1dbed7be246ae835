package dev.pgha.keeper;

import dev.pgha.common.PghaException;
import dev.pgha.common.concurrent.Closeables;
import dev.pgha.common.concurrent.OwnerLoop;
import dev.pgha.common.config.PghaConfig;
import dev.pgha.common.fs.PrivateFiles;
import dev.pgha.common.model.ClusterSpec;
import dev.pgha.common.model.ClusterView;
import dev.pgha.common.model.Json;
import dev.pgha.common.model.KeeperStatus;
import dev.pgha.common.model.MemberInfo;
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
import java.util.OptionalInt;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.apache.curator.framework.recipes.nodes.PersistentNode;
import org.apache.curator.framework.state.ConnectionState;
import org.apache.curator.framework.state.ConnectionStateListener;
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
    /** A standby that has not streamed from its leader for this long is rewound (it may hold WAL the leader lacks). */
    private static final Duration STUCK_AFTER = Duration.ofSeconds(20);

    private static final int PROMOTE_TIMEOUT_SECONDS = 60;
    /** A standby that failed to start this many times in a row is rewound (e.g. its WAL forked off the leader's). */
    private static final int STANDBY_START_ATTEMPTS = 3;

    /** What preflight found: the binaries and the OS user postgres runs as. */
    public record Environment(PgBinaries binaries, PostgresOsUser osUser) {}

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
    private final ReplicaTools replicas;
    private final ConnectionStateListener sessionListener = (c, state) -> onConnectionState(state);
    private volatile boolean closing;

    // owned by the keeper thread
    private volatile PostgresServer server;
    private Closeable viewWatch;
    private Closeable parametersWatch;
    private Closeable restartsWatch;
    private volatile boolean parametersChanged = true; // `pgha config set` wrote new parameters (or never applied)
    private volatile boolean restartRequested = true; // look for a restart request (`pgha config set --restart`)
    private Map<String, String> appliedParameters = Map.of();
    private PersistentNode statusNode;
    private volatile ClusterView lastView = ClusterView.initial();
    private volatile KeeperStatus lastStatus; // what was last published (also while the store is unreachable)
    private boolean storeDown;
    private String lastActionReason;
    private String problem;
    private boolean rolesEnsured;
    private int consecutiveFailures;
    private Instant nextStartAt = Instant.MIN;
    private Instant startedAt;
    private long appliedGeneration;
    private String upstream; // the member the standby configuration points at
    private Instant stalledSince; // a standby behind its leader whose received WAL position stopped advancing
    private long lastReceivedLsn;
    private Instant unhealthySince = Instant.now();
    private volatile boolean sessionLost; // from LOST until RECONNECTED (a new session)

    public Keeper(
            PghaConfig config,
            String memberId,
            Credentials credentials,
            ClusterStore store,
            Environment env,
            Map<String, String> processEnv,
            Consumer<PghaException> onFatal,
            Runnable onServing) {
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
        this.replicas = new ReplicaTools(env.binaries(), env.osUser(), config.runDir());
    }

    private static DataDirectory dataDirectory(PghaConfig config) {
        return new DataDirectory(config.pgData(), config.stateDir().resolve(INIT_MARKER));
    }

    /**
     * Runs before anything else starts: checks that postgres can run here (binaries present, OS user usable, PGDATA
     * reachable) and cleans up what an earlier run left behind, so its ports and files are free.
     */
    public static Environment preflight(PghaConfig config, Map<String, String> processEnv) {
        PgBinaries binaries =
                PgBinaries.locate(config.postgres().binDir(), config.postgres().installRoot(), processEnv.get("PATH"));
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
        log.info(
                "member {}: PostgreSQL {} from {}, running as OS user {}, tuned for {} MB ({})",
                memberId,
                env.binaries().majorVersion(),
                env.binaries().binDir(),
                env.osUser().name(),
                memory.bytes() >> 20,
                memory.source());
        // A status node left by this member's previous run would make it look alive until that session expires.
        store.deleteIfExists(store.paths().keeper(memberId));
        store.curator().getConnectionStateListenable().addListener(sessionListener);
        viewWatch = store.watch(store.paths().view(), loop::trigger);
        parametersWatch = store.watch(store.paths().parameters(), () -> {
            parametersChanged = true;
            loop.trigger();
        });
        restartsWatch = store.watch(store.paths().restarts(), () -> {
            restartRequested = true;
            loop.trigger();
        });
        loop.runEvery(config.keeperHeartbeat());
    }

    /**
     * Fencing of a leader cut off from the store: once its session has expired the sentinel may already have
     * promoted another member, so the local primary stops taking writes at once. It never promotes itself; when
     * the store is back, the view says what to do.
     */
    private void onConnectionState(ConnectionState state) {
        if (state == ConnectionState.LOST) {
            sessionLost = true;
            loop.execute(() -> {
                if (!fenceIfPrimary()) {
                    log.warn("store session expired; waiting for the store to come back");
                }
            });
        } else if (state == ConnectionState.RECONNECTED) {
            sessionLost = false; // a new session: the view can be trusted again
            loop.trigger();
        }
    }

    /** Brings postgres's settings in line with the parameters `pgha config set` stored for the cluster. */
    private void applyParameters() {
        if (!parametersChanged) {
            return;
        }
        parametersChanged = false;
        try {
            Map<String, String> wanted = store.parameters();
            Map<String, String> set = new java.util.TreeMap<>(wanted);
            set.entrySet().removeIf(e -> e.getValue().equals(appliedParameters.get(e.getKey())));
            List<String> reset = appliedParameters.keySet().stream()
                    .filter(k -> !wanted.containsKey(k))
                    .sorted()
                    .toList();
            if (!set.isEmpty() || !reset.isEmpty()) {
                client.applyParameters(set, reset);
                log.info(
                        "postgres parameters applied: {}{}",
                        set.isEmpty() ? "" : "set " + String.join(", ", set.keySet()),
                        reset.isEmpty() ? "" : (set.isEmpty() ? "" : "; ") + "reset " + String.join(", ", reset));
            }
            appliedParameters = Map.copyOf(wanted);
        } catch (StoreException | SQLException e) {
            parametersChanged = true; // next heartbeat tries again
            log.warn("cannot apply the cluster's postgres parameters yet: {}", e.getMessage());
        }
    }

    /**
     * A full data volume crashes postgres (and a leader that crashes on a full disk fails over to standbys whose
     * disks are as full): past postgres.diskFullPercent it goes read-only instead, and /flycheck/role says
     * "readonly", until usage is 2 points below. Every member applies it to its own volume, so a clone that copied
     * the setting from a full leader clears it.
     */
    private void guardDisk(PgClient.PgState state) {
        int limit = config.postgres().diskFullPercent();
        if (limit >= 100 && !state.defaultReadOnly()) {
            return;
        }
        OptionalInt used = DiskUsage.usedPercent(data.path());
        if (used.isEmpty()) {
            return;
        }
        boolean wanted = DiskUsage.readOnly(used.getAsInt(), limit, state.defaultReadOnly());
        if (wanted == state.defaultReadOnly()) {
            return;
        }
        try {
            client.setDefaultReadOnly(wanted);
            if (wanted) {
                log.warn(
                        "data volume {}% full (postgres.diskFullPercent is {}): postgres is read-only until space is "
                                + "freed or the volume grows",
                        used.getAsInt(), limit);
            } else {
                log.info("data volume {}% full: postgres accepts writes again", used.getAsInt());
            }
        } catch (SQLException e) {
            log.warn("cannot switch postgres to read-{}: {}", wanted ? "only" : "write", describe(e));
        }
    }

    /**
     * Stops postgres when `pgha config set --restart` asks this member to restart (one member at a time); the next
     * tick starts it again. True when it stopped it.
     */
    private boolean restartIfRequested() {
        if (!restartRequested) {
            return false;
        }
        restartRequested = false;
        try {
            if (!store.restartRequested(memberId)) {
                return false;
            }
            PostgresServer current = server;
            if (current != null && current.isAlive()) {
                log.info("restarting postgres (pid {}), as requested by pgha config set --restart", current.pid());
                stopPostgres(current);
                server = null;
            }
            store.deleteIfExists(store.paths().restart(memberId));
            loop.trigger(); // started again at once by the next tick
            return true;
        } catch (StoreException e) {
            restartRequested = true;
            return false;
        }
    }

    /** Stops a running primary because the session is gone; true when there was one. */
    private boolean fenceIfPrimary() {
        PostgresServer current = server;
        if (current != null && current.isAlive() && !isStandbyConfigured()) {
            fence("the store session expired, so another member may lead by now");
            return true;
        }
        return false;
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
        if (sessionLost) {
            // The last view may be stale by now (another member may lead): act on none of it. Only fencing runs
            // until a new session exists; a fenced primary must not be restarted from a cached "you lead".
            fenceIfPrimary();
            return;
        }
        ClusterView view = readView();
        PostgresServer current = server;
        if (current != null && !current.isAlive()) {
            onUnexpectedExit(current);
        }
        PgClient.PgState state = queryIfRunning();
        Role role = roleOf(state);
        trackProgress(view, state);
        boolean stuck = stalledSince != null
                        && Duration.between(stalledSince, Instant.now()).compareTo(STUCK_AFTER) > 0
                || upstream != null && server == null && consecutiveFailures >= STANDBY_START_ATTEMPTS;
        KeeperAction action = KeeperPlanner.decide(
                memberId,
                view,
                new KeeperPlanner.Local(
                        data.initialized(), server != null, role, isStandbyConfigured(), upstream, stuck));
        if (!action.reason().equals(lastActionReason)) {
            lastActionReason = action.reason();
            if (action.kind() == KeeperAction.Kind.REFUSE) {
                log.error("{}", action.reason());
            } else {
                log.info("{}", action.reason());
            }
        }
        boolean waiting = false; // a START held back by the restart backoff
        switch (action.kind()) {
            case INITIALIZE -> {
                initialize();
                startPostgres(null);
            }
            case CLONE -> {
                Upstream leader = upstreamOf(view.leader());
                cloneFrom(leader);
                startPostgres(leader);
            }
            case START -> {
                waiting = Instant.now().isBefore(nextStartAt);
                if (!waiting) {
                    // as the leader, or following it; with no leader, a standby starts without an upstream
                    startPostgres(
                            view.leader() == null || memberId.equals(view.leader()) ? null : upstreamOf(view.leader()));
                }
            }
            case FOLLOW -> follow(upstreamOf(view.leader()));
            case REWIND -> {
                Upstream leader = upstreamOf(view.leader());
                rewind(leader, stuck);
                startPostgres(leader);
            }
            case PROMOTE -> promote(view);
            case FENCE -> fence(action.reason());
            case REFUSE -> problem = action.reason();
            case NONE -> {
                if (memberId.equals(view.leader())) {
                    // synchronous_standby_names first: a commit (such as setting role passwords) would otherwise
                    // wait for standbys an earlier leader named, which may be gone
                    if (lead(view, state)) {
                        appliedGeneration = view.generation();
                        if (!rolesEnsured) {
                            ensureRoles();
                        }
                    }
                } else {
                    appliedGeneration = view.generation();
                }
            }
            case WAIT -> {
                // the sentinel moves next
            }
        }
        if (server != null && action.kind() != KeeperAction.Kind.NONE) {
            state = queryIfRunning(); // it may have just started or changed role
        }
        if (state != null) {
            applyParameters();
            guardDisk(state);
        }
        if (restartIfRequested()) {
            state = null; // postgres is down now: say so, not what it was a moment ago
        }
        publish(state, action);
        if (!waiting
                && action.kind() != KeeperAction.Kind.NONE
                && action.kind() != KeeperAction.Kind.WAIT
                && action.kind() != KeeperAction.Kind.REFUSE) {
            loop.trigger(); // something changed: converge further at once instead of a heartbeat later
        }
    }

    private static Role roleOf(PgClient.PgState state) {
        return state == null ? Role.NONE : state.inRecovery() ? Role.STANDBY : Role.PRIMARY;
    }

    /**
     * Remembers since when a standby that is behind its leader has received nothing new: one that cannot follow
     * the leader's timeline (it holds WAL the leader never had) retries forever without an error we could catch.
     */
    private void trackProgress(ClusterView view, PgClient.PgState state) {
        if (state == null || !state.inRecovery() || upstream == null || !upstream.equals(view.leader())) {
            stalledSince = null;
            return;
        }
        long leaderLsn;
        try {
            leaderLsn = store.keeper(upstream).map(KeeperStatus::writtenLsn).orElse(0L);
        } catch (StoreException e) {
            return;
        }
        if (state.receivedLsn() >= leaderLsn || state.receivedLsn() > lastReceivedLsn) {
            stalledSince = null;
        } else if (stalledSince == null) {
            stalledSince = Instant.now();
        }
        lastReceivedLsn = state.receivedLsn();
    }

    private boolean isStandbyConfigured() {
        return Files.exists(data.path().resolve("standby.signal"));
    }

    private Upstream upstreamOf(String leaderId) {
        MemberInfo m = store.member(leaderId)
                .orElseThrow(() -> new PghaException("leader " + leaderId + " has no registration under "
                        + store.paths().members() + "; cannot reach it"));
        return new Upstream(leaderId, m.host(), m.pgPort());
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
                log.warn(
                        "cannot read the cluster view, acting on the last one (generation {}): {}",
                        lastView.generation(),
                        e.getMessage());
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
            log.info(
                    "roles {}, {} and {} are in place",
                    Credentials.SU_ROLE,
                    Credentials.REPL_ROLE,
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
                log.warn(
                        "an earlier initdb did not finish; emptying its partial data directory {} to run it again",
                        data.path());
                deleteContents(data.path());
                Files.deleteIfExists(data.initMarker());
            }
            Optional<DataDirectory.PostmasterPid> pid = data.postmasterPid();
            if (pid.isPresent()
                    && ProcessHandle.of(pid.get().pid())
                            .map(ProcessHandle::isAlive)
                            .orElse(false)) {
                if (data.isPostmasterOfThisDirectory(pid.get().pid())) {
                    log.warn(
                            "found postgres (pid {}) still running from an earlier pgha run; stopping it before "
                                    + "taking over",
                            pid.get().pid());
                    PostgresServer.stopOrphan(
                            pid.get().pid(),
                            env.binaries(),
                            env.osUser(),
                            config.postgres().stopTimeout());
                    log.info("stopped the orphaned postgres (pid {})", pid.get().pid());
                } else {
                    log.info(
                            "removing stale postmaster.pid: pid {} is now another program",
                            pid.get().pid());
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
            r = ProcessRunner.run(
                    env.osUser()
                            .wrap(List.of(
                                    env.binaries().tool("initdb").toString(),
                                    "--pgdata=" + pgdata,
                                    "--username=" + Credentials.SU_ROLE,
                                    "--pwfile=" + pwfile,
                                    "--auth-host=scram-sha-256",
                                    "--auth-local=scram-sha-256",
                                    "--data-checksums",
                                    "--encoding=UTF8",
                                    "--locale=C.UTF-8")),
                    INITDB_TIMEOUT);
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
        log.info(
                "created a new cluster in {} in {} ms (PostgreSQL {}, data checksums, scram-sha-256)",
                pgdata,
                (System.nanoTime() - t0) / 1_000_000,
                env.binaries().majorVersion());
    }

    private void cloneFrom(Upstream leader) {
        Path pgdata = data.path();
        try {
            PrivateFiles.write(data.initMarker(), new byte[0]);
            deleteContents(pgdata);
            prepareDirectory(pgdata);
            prepareDirectory(config.runDir());
            replicas.writePassfile(credentials);
        } catch (IOException e) {
            throw new PghaException("cannot prepare " + pgdata + " for a clone: " + e.getMessage());
        }
        long t0 = System.nanoTime();
        log.info("cloning member {} ({}:{}) with pg_basebackup", leader.memberId(), leader.host(), leader.port());
        replicas.cloneFrom(leader, pgdata, memberId);
        try {
            Files.delete(data.initMarker());
        } catch (IOException e) {
            throw fatal(new PghaException("cannot remove " + data.initMarker() + ": " + e.getMessage()));
        }
        log.info("cloned member {} in {} ms", leader.memberId(), (System.nanoTime() - t0) / 1_000_000);
        consecutiveFailures = 0;
        nextStartAt = Instant.MIN;
    }

    /**
     * Rewinds the local data onto the leader's timeline; a fresh clone when pg_rewind cannot, or when a standby that
     * could not follow ({@code stuck}) turns out to have nothing pg_rewind would change.
     */
    private void rewind(Upstream leader, boolean stuck) {
        PostgresServer current = server;
        if (current != null) {
            stopPostgres(current);
            server = null;
        }
        try {
            prepareDirectory(config.runDir());
            replicas.writePassfile(credentials);
            // pg_rewind recovers a crashed target in single-user mode first, which refuses a standby.signal
            Files.deleteIfExists(data.path().resolve("standby.signal"));
            writeConfiguration(null);
        } catch (IOException e) {
            throw new PghaException("cannot prepare " + data.path() + " for pg_rewind: " + e.getMessage());
        }
        try (PgClient source = new PgClient(leader.host(), leader.port(), credentials.suPassword())) {
            source.checkpoint(); // a freshly promoted leader's control file still names the old timeline
        } catch (SQLException e) {
            throw new PghaException(
                    "cannot run CHECKPOINT on member " + leader.memberId() + " before pg_rewind: " + describe(e));
        }
        long t0 = System.nanoTime();
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
            cloneFrom(leader);
            return;
        }
        if (r.ok()) {
            consecutiveFailures = 0;
            nextStartAt = Instant.MIN;
            log.info(
                    "rewound the data onto member {}'s timeline in {} ms ({})",
                    leader.memberId(),
                    (System.nanoTime() - t0) / 1_000_000,
                    said);
            return;
        }
        log.warn("pg_rewind from member {} failed ({}); cloning it afresh instead", leader.memberId(), r.tail(2));
        cloneFrom(leader);
    }

    /** Points the running standby at {@code leader}; postgres 13+ re-reads primary_conninfo on reload. */
    private void follow(Upstream leader) {
        try {
            writeConfiguration(leader);
            client.reload();
            upstream = leader.memberId();
            stalledSince = null;
            log.info("now following member {} ({}:{})", leader.memberId(), leader.host(), leader.port());
        } catch (IOException | SQLException e) {
            reportProblem("cannot point the standby at member " + leader.memberId() + ": " + e.getMessage());
        }
    }

    private void promote(ClusterView view) {
        long t0 = System.nanoTime();
        try {
            if (!client.promote(PROMOTE_TIMEOUT_SECONDS)) {
                reportProblem("postgres did not finish its promotion within " + PROMOTE_TIMEOUT_SECONDS + " s");
                return;
            }
        } catch (SQLException e) {
            reportProblem("promotion failed: " + describe(e));
            return;
        }
        upstream = null;
        rolesEnsured = false;
        try {
            writeConfiguration(null); // drop the standby settings for the next start
        } catch (IOException e) {
            log.warn("cannot rewrite postgresql.conf after the promotion: {}", e.getMessage());
        }
        log.info(
                "promoted: this member leads the cluster (generation {}) after {} ms",
                view.generation(),
                (System.nanoTime() - t0) / 1_000_000);
    }

    /**
     * The leader's upkeep: a replication slot for every registered member, and synchronous_standby_names as the
     * view says. Returns true once postgres matches the view (only then is the generation acknowledged, which the
     * sentinel waits for before it shrinks the synchronous set).
     */
    private boolean lead(ClusterView view, PgClient.PgState state) {
        try {
            Map<String, MemberInfo> members = store.members();
            List<String> slots = members.keySet().stream()
                    .filter(id -> !id.equals(memberId))
                    .map(Upstream::slotName)
                    .toList();
            PgClient.SlotChanges changed = client.reconcileSlots(slots);
            for (String created : changed.created()) {
                log.info("created replication slot {}", created);
            }
            for (String dropped : changed.dropped()) {
                log.info("dropped replication slot {}: its member was removed", dropped);
            }
            ClusterSpec spec = store.spec().map(Versioned::value).orElse(ClusterSpec.of(null));
            boolean strict = spec.synchronousStrict() && spec.synchronous(members.size());
            String wanted = SynchronousNames.render(view.synchronousNames(), strict);
            if (state != null && !wanted.equals(state.synchronousSetting())) {
                client.setSynchronousStandbyNames(wanted);
                log.info("synchronous_standby_names = '{}'", wanted);
            }
            return true;
        } catch (SQLException e) {
            reportProblem("cannot update replication settings: " + describe(e));
            return false;
        } catch (StoreException e) {
            return false; // acting on the last view; the next tick tries again
        }
    }

    /** Starts postgres as the leader ({@code leader} null) or as a standby of {@code leader}. */
    private void startPostgres(Upstream leader) {
        try {
            if (leader != null) {
                replicas.writePassfile(credentials);
            }
            writeConfiguration(leader);
        } catch (IOException e) {
            throw new PghaException("cannot write postgres configuration into " + data.path() + ": " + e.getMessage());
        }
        upstream = leader == null ? null : leader.memberId();
        stalledSince = null;
        PostgresServer started = PostgresServer.start(env.binaries(), env.osUser(), data.path());
        log.info(
                "starting postgres (pid {}, port {})",
                started.pid(),
                config.postgres().port());
        try {
            started.awaitReady(data, config.postgres().startTimeout(), () -> closing);
        } catch (PghaException e) {
            stopPostgres(started);
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
        log.warn(
                "postgres (pid {}) exited unexpectedly with code {} ({}); restarting it{}",
                dead.pid(),
                dead.exitCode(),
                dead.lastProblem(),
                wait.isZero() ? "" : " in " + wait.toSeconds() + " s");
    }

    private void fence(String reason) {
        PostgresServer current = server;
        if (current == null) {
            return;
        }
        log.warn("fencing: stopping the local primary ({}); this member must not take writes", reason);
        stopPostgres(current);
        server = null;
        log.info("postgres stopped");
    }

    /** postgresql.conf and pg_hba.conf; with a leader, the standby settings and standby.signal too. */
    private void writeConfiguration(Upstream leader) throws IOException {
        prepareDirectory(config.runDir());
        long disk = Files.getFileStore(data.path()).getTotalSpace();
        PgTuning tuning = new PgTuning(
                memory.bytes(),
                disk,
                config.postgres().port(),
                config.postgres().maxConnections(),
                config.runDir());
        String conf = PostgresConf.render(tuning, memory.source());
        if (leader != null) {
            conf += PostgresConf.standby(leader, memberId, replicas.passfile(), Credentials.REPL_ROLE);
        }
        writeOwned(data.path().resolve("postgresql.conf"), conf);
        writeOwned(data.path().resolve("pg_hba.conf"), PostgresConf.hba(Credentials.REPL_ROLE));
        if (leader != null) {
            writeOwned(data.path().resolve("standby.signal"), "");
        }
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

    private void publish(PgClient.PgState state, KeeperAction action) {
        boolean pgUp = state != null;
        // Healthy means converged: postgres answers, plays the role the view gives it, and its roles are set up. A
        // standby waiting out a failover is healthy too: it is what the sentinel may promote.
        boolean converged = action.kind() == KeeperAction.Kind.NONE
                || action.kind() == KeeperAction.Kind.WAIT && pgUp && state.inRecovery();
        boolean healthy = pgUp && converged && (state.inRecovery() || rolesEnsured);
        if (healthy) {
            problem = null;
            unhealthySince = null;
        } else if (unhealthySince == null) {
            unhealthySince = Instant.now();
        }
        boolean wasServing = serving;
        serving = healthy && !state.inRecovery();
        if (serving && !wasServing) {
            onServing.run();
        }
        boolean primary = pgUp && !state.inRecovery();
        KeeperStatus status = new KeeperStatus(
                memberId,
                config.region().orElse(null),
                data.initialized(),
                data.systemIdentifier().orElse(0),
                pgUp,
                roleOf(state),
                state == null ? 0 : state.timeline(),
                state == null ? stoppedPrimaryLsn() : state.writtenLsn(),
                state == null ? 0 : state.receivedLsn(),
                state == null ? 0 : state.replayedLsn(),
                healthy,
                healthy ? null : problem != null ? problem : action.reason(),
                appliedGeneration,
                Instant.now(),
                unhealthySince,
                pgUp && state.inRecovery() && state.walReceiverStreaming() ? upstream : null,
                primary ? state.streaming() : List.of(),
                primary ? SynchronousNames.parse(state.synchronousSetting()) : List.of());
        lastStatus = status;
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

    /**
     * A former primary stopped cleanly (a switchover's demote) reports where its WAL ends, so the sentinel can tell
     * when the target has received all of it; 0 otherwise.
     */
    private long stoppedPrimaryLsn() {
        if (server != null || isStandbyConfigured() || !data.initialized()) {
            return 0;
        }
        return data.cleanShutdownCheckpoint().orElse(0);
    }

    /**
     * Fast shutdown (immediate after postgres.stopTimeout). The keeper's own connection goes first, so postgres does
     * not report terminating it as an error in the log.
     */
    private void stopPostgres(PostgresServer s) {
        client.close();
        s.stop(config.postgres().stopTimeout());
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
            for (Path p : paths.sorted(Comparator.reverseOrder())
                    .filter(p -> !p.equals(root))
                    .toList()) {
                Files.delete(p);
            }
        }
    }

    /** The status this keeper last reported (empty before its first heartbeat); readable from any thread. */
    public Optional<KeeperStatus> status() {
        return Optional.ofNullable(lastStatus);
    }

    /** The cluster view this keeper last acted on; readable from any thread. */
    public ClusterView view() {
        return lastView;
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
        store.curator().getConnectionStateListenable().removeListener(sessionListener);
        Closeables.closeQuietly(viewWatch);
        Closeables.closeQuietly(parametersWatch);
        Closeables.closeQuietly(restartsWatch);
        if (!loop.close(INITDB_TIMEOUT)) {
            log.warn("keeper loop did not finish; stopping postgres anyway");
        }
        PostgresServer current = server;
        if (current != null && current.isAlive()) {
            log.info("stopping postgres (pid {}, fast shutdown)", current.pid());
            stopPostgres(current);
            log.info("postgres stopped");
        }
        server = null;
        client.close();
        Closeables.closeQuietly(statusNode);
    }
}
