package dev.pgha.keeper;

import dev.pgha.common.PghaException;
import dev.pgha.common.concurrent.Closeables;
import dev.pgha.common.concurrent.Lifecycle;
import dev.pgha.common.concurrent.OwnerLoop;
import dev.pgha.common.config.PghaConfig;
import dev.pgha.common.failsafe.Failsafe;
import dev.pgha.common.model.ClusterView;
import dev.pgha.common.model.KeeperStatus;
import dev.pgha.common.secret.Credentials;
import dev.pgha.common.store.ClusterSnapshot;
import dev.pgha.common.store.ClusterStore;
import dev.pgha.common.store.Subscription;
import dev.pgha.common.store.Topic;
import dev.pgha.common.store.Versioned;
import java.sql.SQLException;
import java.time.Duration;
import java.util.EnumSet;
import java.util.Map;
import java.util.Optional;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Owns the local postgres: once per heartbeat (and whenever the view, the parameters or the restart requests
 * change) it reads one snapshot of the cluster, looks at postgres, asks {@link KeeperPlanner} what to do, does it
 * (long actions on the {@link ActionRunner}, while the loop keeps publishing what is happening), keeps up the
 * leader's and every member's upkeep, and publishes its status. All state below is owned by the "keeper" thread.
 */
public final class Keeper implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Keeper.class);
    /** Its loop thread's name: the supervisor raises that thread to real-time CPU priority by it. */
    public static final String THREAD = "keeper";
    /** How long a failed query waits for postgres to end before it is reported as the problem. */
    private static final Duration EXIT_GRACE = Duration.ofMillis(500);

    /** How long stopping waits for an action in progress (an initdb, a clone) before stopping postgres anyway. */
    private static final Duration ACTION_STOP_TIMEOUT = Duration.ofSeconds(30);

    private final PghaConfig config;
    private final String memberId;
    private final ClusterStore store;
    private final Consumer<PghaException> onFatal;
    private final Runnable onServing;
    private final MemoryProbe.Budget memory;
    private final LocalPostgres postgres;
    private final OwnerLoop loop;
    private final ActionRunner actions;
    private final OperatorRequests requests;
    private final Lifecycle lifecycle = new Lifecycle();
    private final ParameterUpkeep parameters = new ParameterUpkeep();
    private final AccessUpkeep access = new AccessUpkeep();
    private final DiskGuard disk;
    private final LeaderUpkeep leading;
    private final StandbyProgress standby = new StandbyProgress();
    private final Optional<BackupUpkeep> backups;
    private volatile boolean closing;
    private volatile boolean stopping; // the daemon is stopping: said in the status
    private volatile BooleanSupplier hostsStoreLeader = () -> false; // said in the status
    private volatile ClusterSnapshot lastSnapshot = ClusterSnapshot.empty();
    private Subscription changes;
    private StoreContact contact;
    private FailsafeMode failsafeMode;
    private final Failsafe failsafe;
    private final Credentials credentials;
    private volatile StatusReport report; // from start on

    // owned by the keeper thread
    private final KeeperAccount account = new KeeperAccount();
    private long appliedGeneration;
    private KeeperAction.Kind actionKind; // of the action submitted last, until it is collected

    public Keeper(
            PghaConfig config,
            String memberId,
            Credentials credentials,
            ClusterStore store,
            PostgresEnvironment env,
            Map<String, String> processEnv,
            Consumer<PghaException> onFatal,
            Runnable onServing,
            Failsafe failsafe) {
        this.config = config;
        this.failsafe = failsafe;
        this.credentials = credentials;
        this.memberId = memberId;
        this.store = store;
        this.onFatal = onFatal;
        this.onServing = onServing;
        this.memory = MemoryProbe.detect(config.postgres().memoryBytes(), processEnv);
        this.postgres = new LocalPostgres(config, memberId, credentials, env, memory, () -> closing);
        this.loop = new OwnerLoop(THREAD, log, this::tickSafely);
        this.actions = new ActionRunner(loop::trigger);
        this.disk = new DiskGuard(config.pgData(), config.postgres().diskFullPercent());
        this.leading = new LeaderUpkeep(memberId, credentials);
        this.backups = postgres.pgbackrest().map(b -> new BackupUpkeep(memberId, store, b));
        this.requests = new OperatorRequests(memberId, store, postgres);
        log.info(
                "member {}: PostgreSQL {} from {}, running as OS user {}, tuned for {} MB ({})",
                memberId,
                env.binaries().majorVersion(),
                env.binaries().binDir(),
                env.osUser().name(),
                memory.bytes() >> 20,
                memory.source());
    }

    /**
     * An initdb begun as the daemon started, on a node that will surely create the cluster: the keeper's INITIALIZE
     * takes it instead of running initdb. Before {@link #start}; the caller closes it (a no-op once taken).
     */
    public void initDbAhead(InitDbAhead staged) {
        postgres.initDbAhead(staged);
    }

    public void start() {
        if (!lifecycle.start()) {
            return;
        }
        report = new StatusReport(memberId, config, store.keeperStatus(memberId), onServing);
        contact = new StoreContact(store, config.store().sessionTimeout(), loop::trigger);
        failsafeMode = new FailsafeMode(
                memberId,
                config.clusterName(),
                config.cluster().failsafe(),
                credentials,
                failsafe,
                contact,
                () -> lastSnapshot,
                () -> report.serving() && postgres.alive(),
                postgres::stopNow,
                loop::trigger,
                config.tls());
        changes = store.onChange(
                EnumSet.of(Topic.VIEW, Topic.PARAMETERS, Topic.RESTARTS, Topic.REINITS, Topic.BACKUP), () -> {
                    backups.ifPresent(BackupUpkeep::jobChanged);
                    loop.trigger();
                });
        loop.runEvery(config.keeperHeartbeat());
    }

    private void tickSafely() {
        if (closing) {
            return;
        }
        try {
            tick();
        } catch (PghaException e) {
            account.problem(e.getMessage());
        }
    }

    private void tick() {
        if (actions.busy()) {
            publishBusy();
            return;
        }
        collectAction();
        if (closing) {
            return;
        }
        ClusterSnapshot s = readCluster();
        if (s == null) {
            return;
        }
        ClusterView view = s.view();
        Optional<OperatorRequests.Work> reinit = requests.reinit(s);
        if (reinit.isPresent()) {
            act(
                    KeeperAction.Kind.CLONE,
                    reinit.get().description(),
                    reinit.get().action());
            publishBusy();
            return;
        }
        String exited = postgres.reapExited();
        if (exited != null) {
            account.problemSaid(exited);
        }
        access.apply(s, memberId, postgres);
        PgClient.PgState state = query();
        standby.track(s, state, postgres.upstream());
        KeeperPlanner.Local local =
                postgres.facts(PgClient.roleOf(state), standby.stuck(postgres), failsafeMode.promisedTo());
        KeeperAction action =
                KeeperPlanner.decide(memberId, view, local, s.spec().paused() && !requests.startAsked());
        if (!memberId.equals(view.leader())) {
            failsafeMode.notChosen(); // a promise held back: the next heartbeat after it runs out promotes
        }
        account.decided(action);
        carryOut(action, s, local, state);
        if (actions.busy()) {
            publishBusy();
            return;
        }
        if (postgres.running() && action.kind() != KeeperAction.Kind.NONE) {
            state = query(); // it may have just changed
        }
        if (state != null) {
            parameters.apply(s.parameters(), postgres.client());
            disk.guard(state, postgres.client(), postgres);
        }
        Optional<OperatorRequests.Work> restart = requests.restart(s);
        if (restart.isPresent()) {
            actions.submit(restart.get().description(), restart.get().action());
            publishBusy();
            return;
        }
        publish(state, action);
        if (action.kind() == KeeperAction.Kind.NONE && report.serving()) {
            postgres.dropStandbySettings(); // after the status that lets the sentinel end the failover
        }
        Duration next = KeeperPlanner.nextLook(
                        memberId,
                        action.kind(),
                        view,
                        state,
                        postgres.upstream(),
                        s.request().map(Versioned::value).orElse(null),
                        view.formerLeader() == null
                                ? null
                                : s.keeper(view.formerLeader()).orElse(null))
                .after();
        if (next != null) {
            loop.triggerAfter(next);
        }
    }

    /**
     * The cluster as the store has it now, when it may be acted on; null when this tick ends here (cut off from the
     * store, or a read that came too late to be trusted): a primary cut off without failsafe standing is fenced, and
     * the status says what the keeper waits for.
     */
    private ClusterSnapshot readCluster() {
        String cutOff = contact.cutOff();
        boolean primary = postgres.alive() && !postgres.standbyConfigured();
        Duration standing = failsafeMode.standingLeft(); // failsafe: every other member promised not to promote
        if (cutOff != null && primary) {
            if (standing.isZero()) {
                // Fencing of a leader cut off from the store: the sentinel may already have promoted another member.
                // It never promotes itself, and a fenced primary is never restarted from a cached "you lead".
                act(KeeperAction.Kind.FENCE, "stopping postgres", p -> postgres.fence(cutOff));
                return null;
            }
            // serving on promises; the failsafe thread wakes this loop (and stops postgres itself) when they run out
        }
        if (contact.sessionLost()) {
            if (!primary || standing.isZero()) {
                publish(query(), KeeperAction.of(KeeperAction.Kind.WAIT, "waiting for the store to come back"));
            }
            return null;
        }
        lastSnapshot = contact.read(lastSnapshot);
        if (!contact.adopt(lastSnapshot)) {
            // read too slowly, or on a session that may have expired since: acting on it could undo a failover; a
            // primary serving on failsafe promises stays as it is (the next tick fences it if they run out)
            if (!primary || failsafeMode.standingLeft().isZero()) {
                publish(query(), KeeperAction.of(KeeperAction.Kind.WAIT, "waiting for the cluster store to answer"));
            }
            return null;
        }
        return lastSnapshot;
    }

    /** Does what the planner decided: a long action goes to the action thread, the rest happens here. */
    private void carryOut(KeeperAction action, ClusterSnapshot s, KeeperPlanner.Local local, PgClient.PgState state) {
        ClusterView view = s.view();
        switch (action.kind()) {
            case INITIALIZE ->
                act(action.kind(), config.backup().restore().isPresent() ? "restoring" : "running initdb", p -> {
                    postgres.initialize(p);
                    p.accept("starting postgres");
                    postgres.start(null);
                });
            case CLONE -> {
                Upstream leader = Upstream.of(s, view.leader());
                Upstream source = Upstream.of(s, CloneSource.choose(memberId, s));
                act(action.kind(), "cloning member " + source.memberId(), p -> {
                    postgres.cloneFrom(leader, source, p);
                    p.accept("starting postgres as a standby of member " + leader.memberId());
                    postgres.start(leader);
                });
            }
            case START -> {
                if (postgres.startDue()) { // else held back by the restart backoff
                    // as the leader, or following it; with no leader, a standby starts without an upstream
                    Upstream leader = view.leader() == null || memberId.equals(view.leader())
                            ? null
                            : Upstream.of(s, view.leader());
                    act(action.kind(), "starting postgres", p -> postgres.start(leader));
                }
            }
            case FOLLOW, DETACH -> {
                try {
                    postgres.follow(action.kind() == KeeperAction.Kind.FOLLOW ? Upstream.of(s, view.leader()) : null);
                    standby.reset();
                } catch (PghaException e) {
                    account.problem(e.getMessage());
                }
            }
            case REWIND -> {
                Upstream leader = Upstream.of(s, view.leader());
                boolean stuck = local.stuck();
                act(action.kind(), "rewinding onto member " + leader.memberId() + "'s timeline", p -> {
                    postgres.rewind(leader, stuck, p);
                    p.accept("starting postgres as a standby of member " + leader.memberId());
                    postgres.start(leader);
                });
            }
            case PROMOTE -> {
                if (failsafeMode.beginPromotion()) {
                    act(action.kind(), "promoting", p -> postgres.promote(view.generation()));
                } else {
                    loop.trigger(); // a failsafe promise was given meanwhile: the planner holds the promotion back
                }
            }
            case FENCE -> act(action.kind(), "stopping postgres", p -> postgres.fence(action.reason()));
            case DEMOTE -> act(action.kind(), "shutting down cleanly for a switchover", p -> postgres.demote());
            case REFUSE -> account.problemSaid(action.reason());
            case NONE -> {
                if (memberId.equals(view.leader())) {
                    if (leading.lead(s, state, postgres, account::problem)) {
                        appliedGeneration = view.generation();
                        backups.ifPresent(b -> b.lead(s, postgres.epoch()));
                    }
                } else {
                    appliedGeneration = view.generation();
                    if (state != null && state.inRecovery()) {
                        leading.prepareOnStandby(postgres);
                    }
                }
            }
            case WAIT, HOLD -> {
                // the sentinel moves next
            }
        }
    }

    /** Runs a long action on the action thread; the loop publishes its progress until it ends. */
    private void act(KeeperAction.Kind kind, String description, ActionRunner.Action action) {
        actions.submit(description, action);
        actionKind = kind;
        if (kind == KeeperAction.Kind.START || kind == KeeperAction.Kind.REWIND || kind == KeeperAction.Kind.CLONE) {
            requests.started();
            standby.reset();
        }
    }

    /** What a finished action left behind: a failure is this member's problem (a fatal one stops the daemon). */
    private void collectAction() {
        boolean ended = actions.ended();
        RuntimeException failure = actions.collect();
        if (ended) {
            if (!closing && actionKind != null && parameters.afterStart(actionKind, failure, postgres)) {
                postgres.startAgainNow(); // the parameters that kept postgres from starting were put back
                loop.trigger();
            }
            actionKind = null;
        }
        if (failure instanceof LocalPostgres.Fatal fatal) {
            if (!closing) {
                closing = true;
                onFatal.accept(fatal);
            }
        } else if (failure instanceof PghaException e) {
            account.problem(e.getMessage());
        } else if (failure != null) {
            log.error("unexpected failure of a keeper action", failure);
            account.problemSaid(failure.toString());
        }
    }

    private PgClient.PgState query() {
        try {
            return postgres.query();
        } catch (SQLException e) {
            // postgres may be going down, and if it is, its exit is the problem to report
            String exited = PgClient.connectionEnded(e) ? postgres.reapExited(EXIT_GRACE) : null;
            if (exited != null) {
                account.problemSaid(exited);
            } else {
                account.problem("cannot query postgres: " + postgres.describe(e));
            }
            return null;
        }
    }

    /**
     * Tells whether this node runs the server that leads the store's ensemble (an embedded ZooKeeper that leads); the
     * status says so, for the sentinel's choice of a candidate. Call before {@link #start}.
     */
    public void tellStoreLeadership(BooleanSupplier leads) {
        hostsStoreLeader = leads;
    }

    /** Runs cluster.callbacks on what the keeper sees of postgres from now on; call before {@link #start}. */
    public void tellRoleChanges(RoleCallbacks callbacks) {
        postgres.tellRunState(callbacks::observe);
    }

    // ---- status ---------------------------------------------------------------------------------------------

    private void publish(PgClient.PgState state, KeeperAction action) {
        boolean healthy =
                KeeperPlanner.converged(action.kind(), state) && (state.inRecovery() || leading.rolesEnsured(postgres));
        if (healthy) {
            account.healthy();
        }
        publish(
                state,
                healthy,
                healthy ? (parameters.notice() != null ? parameters.notice() : access.notice()) : account.why(action),
                postgres.stoppedPrimaryLsn());
    }

    /**
     * While an action runs, postgres is in between: the status says what is happening (after the problem that led
     * to it, if any) and claims nothing about postgres, not even a WAL position that may still move.
     */
    private void publishBusy() {
        publish(null, false, account.busy(actions.progress()), 0);
    }

    /**
     * Publishes what postgres reported ({@code state}; null: not up, or not to be asked), and why it is not healthy.
     *
     * @param stoppedLsn where the WAL of a postgres that is not up ends, when that is known (0 otherwise)
     */
    private void publish(PgClient.PgState state, boolean healthy, String why, long stoppedLsn) {
        report.publish(
                lastSnapshot,
                postgres.data(),
                state,
                new StatusReport.Facts(
                        healthy,
                        why,
                        appliedGeneration,
                        postgres.upstream(),
                        stoppedLsn,
                        leading.synchronousConfirmed(),
                        standby.leaderWalEnd(),
                        stopping,
                        hostsStoreLeader.getAsBoolean()));
    }

    /** The status made at the last heartbeat, written to the store or not (StatusRefresh); readable from any thread. */
    public Optional<KeeperStatus> status() {
        StatusReport r = report;
        return r == null ? Optional.empty() : r.last();
    }

    /** The cluster as this keeper last read it; readable from any thread. */
    public ClusterSnapshot snapshot() {
        return lastSnapshot;
    }

    /** The cluster view this keeper last acted on; readable from any thread. */
    public ClusterView view() {
        return lastSnapshot.view();
    }

    /** True while the local postgres is up, converged and the primary: clients can be sent here. */
    public boolean serving() {
        StatusReport r = report;
        return r != null && r.serving();
    }

    /** Answers the other members' failsafe requests (POST /failsafe). */
    public FailsafeResponder failsafe() {
        return failsafeMode.responder();
    }

    /** Second stop signal: immediate shutdown of postgres, from any thread. */
    public void stopNow() {
        closing = true;
        postgres.stopNow();
    }

    /**
     * The daemon is about to stop (SIGTERM): the status says so from the next heartbeat on, so that the sentinel does
     * not let this member, as leader, go on alone in its last moments (see {@link KeeperStatus#stopping()}).
     */
    public void stopping() {
        stopping = true;
        loop.trigger();
    }

    /**
     * Stops the loop and any action in progress (its tools are stopped), then postgres (fast; immediate after
     * postgres.stopTimeout), then withdraws the status.
     */
    @Override
    public void close() {
        closing = true;
        if (lifecycle.close() != Lifecycle.State.STARTED) {
            return;
        }
        Closeables.closeQuietly(failsafeMode, contact, changes);
        loop.close();
        if (!actions.close(ACTION_STOP_TIMEOUT)) {
            log.warn(
                    "a keeper action did not stop within {} s; stopping postgres anyway",
                    ACTION_STOP_TIMEOUT.toSeconds());
        }
        backups.ifPresent(BackupUpkeep::close);
        postgres.close();
        Closeables.closeQuietly(report, access);
    }
}
