package dev.pgha.sentinel;

import dev.pgha.common.PghaException;
import dev.pgha.common.backup.BackupJob;
import dev.pgha.common.backup.BackupType;
import dev.pgha.common.backup.ScheduledBackup;
import dev.pgha.common.concurrent.Closeables;
import dev.pgha.common.concurrent.Lifecycle;
import dev.pgha.common.concurrent.OwnerLoop;
import dev.pgha.common.config.Durations;
import dev.pgha.common.config.InvalidConfigException;
import dev.pgha.common.config.RuntimeSettings;
import dev.pgha.common.health.Formats;
import dev.pgha.common.model.Cause;
import dev.pgha.common.model.ClusterSpec;
import dev.pgha.common.model.ClusterView;
import dev.pgha.common.model.HistoryEntry;
import dev.pgha.common.model.KeeperStatus;
import dev.pgha.common.model.OperatorRequest;
import dev.pgha.common.model.Phase;
import dev.pgha.common.request.RequestTimeouts;
import dev.pgha.common.store.ClusterSnapshot;
import dev.pgha.common.store.ClusterStore;
import dev.pgha.common.store.Election;
import dev.pgha.common.store.SessionEvent;
import dev.pgha.common.store.Subscription;
import dev.pgha.common.store.Topic;
import dev.pgha.common.store.Versioned;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every member runs a sentinel; the one elected computes the next view ({@link ViewPlanner}) from one snapshot of the
 * cluster on every interval and whenever keepers, proxies, the view or a request change, and writes it with
 * compare-and-set so a sentinel acting on a stale read can never overwrite a newer view. All work runs on the
 * "sentinel" thread.
 */
public final class Sentinel implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Sentinel.class);
    /** Its loop thread's name: the supervisor raises that thread to real-time CPU priority by it. */
    public static final String THREAD = "sentinel";

    private static final int HISTORY_LIMIT = 100;

    private final ClusterStore store;
    private final String memberId;
    private final ClusterSpec desiredSpec;
    private final Duration interval;
    private final Duration deadMemberRemoval;
    private final OwnerLoop loop;
    private final Lifecycle lifecycle = new Lifecycle();
    private Map<String, Instant> goneSince = Map.of();
    private final KeeperObservations observations;
    private Subscription changes;
    private Subscription session;
    private volatile Election election;
    private String lastReason;
    private final ReasonHold reasonHold = new ReasonHold();
    private ClusterSpec.Pause lastPause;
    private String lastSettingsNote = "";
    private final List<ScheduledBackup> backupSchedule;
    private Instant nextScheduleCheck = Instant.MIN;
    private boolean lastFailed;
    private boolean sessionExpired; // from the session's LOST to the next RECONNECTED

    /**
     * @param desiredSpec       the spec from this member's configuration; written to the store while this sentinel
     *                          is the elected one
     * @param deadMemberRemoval a member gone this long is removed (cluster.deadMemberRemovalInterval)
     */
    public Sentinel(
            ClusterStore store,
            String memberId,
            ClusterSpec desiredSpec,
            Duration interval,
            Duration deadMemberRemoval) {
        this(store, memberId, desiredSpec, interval, deadMemberRemoval, List.of(), Duration.ofSeconds(2));
    }

    /**
     * @param backupSchedule when to ask the leader for base backups (backup.schedule)
     * @param sessionTimeout the store's session timeout (store.sessionTimeout)
     */
    public Sentinel(
            ClusterStore store,
            String memberId,
            ClusterSpec desiredSpec,
            Duration interval,
            Duration deadMemberRemoval,
            List<ScheduledBackup> backupSchedule,
            Duration sessionTimeout) {
        this.observations =
                new KeeperObservations(sessionTimeout.multipliedBy(3).dividedBy(2));
        this.backupSchedule = List.copyOf(backupSchedule);
        this.store = store;
        this.memberId = memberId;
        this.desiredSpec = desiredSpec;
        this.interval = interval;
        this.deadMemberRemoval = deadMemberRemoval;
        this.loop = new OwnerLoop(THREAD, log, this::evaluateSafely);
    }

    public void start() {
        if (!lifecycle.start()) {
            return;
        }
        election = store.election(memberId, leader -> {
            if (leader) {
                log.info("elected: this member's sentinel now decides the cluster view");
            } else {
                log.info("no longer the elected sentinel");
            }
            loop.trigger(); // acts at once, or forgets its clocks of absent members, on the loop thread
        });
        session = store.onSession(event -> {
            if (event == SessionEvent.RECONNECTED) {
                // after an expiry every member's session was replaced too: their statuses come back one by one
                long at = System.nanoTime();
                loop.execute(() -> {
                    if (sessionExpired) {
                        sessionExpired = false;
                        observations.storeReturned(at);
                    }
                });
            } else if (event == SessionEvent.LOST) {
                loop.execute(() -> sessionExpired = true);
            }
        });
        changes = store.onChange(
                EnumSet.of(Topic.KEEPERS, Topic.PROXIES, Topic.VIEW, Topic.REQUEST, Topic.SPEC), loop::trigger);
        loop.runEvery(interval);
    }

    public boolean isLeader() {
        Election e = election;
        return e != null && e.isLeader();
    }

    private void evaluateSafely() {
        try {
            evaluate();
            if (lastFailed) {
                log.info("store reachable again");
                lastFailed = false;
            }
        } catch (PghaException e) {
            if (!lastFailed) {
                log.warn("cannot evaluate the cluster: {}", e.getMessage());
                lastFailed = true;
            }
        }
    }

    private void evaluate() {
        if (!isLeader()) {
            goneSince = Map.of();
            observations.restart();
            reasonHold.forget();
            return;
        }
        ClusterSnapshot s = removeDeadMembers(ensureSpec(store.snapshot()));
        logPause(s.spec().pause());
        Liveness liveness = observations.observe(s, System.nanoTime());
        OperatorRequest accepted = handleRequest(s);
        ClusterView view = s.view();
        if (view.routable()) {
            requestScheduledBackup();
        }
        ClusterView next = ViewPlanner.next(s, accepted, liveness, Instant.now());
        if (next.equals(view) && s.storedView().isPresent()) {
            return;
        }
        if (!isLeader()) {
            return; // lost the election while reading; the compare-and-set would catch it too
        }
        long now = System.nanoTime();
        Duration hold = reasonHold.holdFor(s.storedView().isPresent() ? view : null, next, now);
        if (!hold.isZero()) {
            logReason(next, s);
            loop.triggerAfter(hold);
            return;
        }
        if (!store.compareAndSetView(next, s.storedView().map(Versioned::version))) {
            log.debug("view changed under us; evaluating again");
            reasonHold.forget();
            loop.trigger();
            return;
        }
        reasonHold.written(now);
        if (next.generation() != view.generation()) {
            log.info(
                    "view generation {}: leader {}, phase {} ({})",
                    next.generation(),
                    next.leader() == null ? "none" : next.leader(),
                    next.phase(),
                    next.explanation());
            lastReason = next.explanation();
        } else {
            logReason(next, s);
        }
        if (next.phase() == Phase.NORMAL
                && next.leader() != null
                && (view.phase() != Phase.NORMAL || !next.leader().equals(view.leader()))) {
            recordLeaderChange(next, s.keepers().get(next.leader()));
        }
    }

    /** Logs the view's reason once, when it changed (a warning when it needs an operator's attention). */
    private void logReason(ClusterView next, ClusterSnapshot s) {
        if (Objects.equals(next.explanation(), lastReason)) {
            return;
        }
        if (needsAttention(next, s)) {
            log.warn("{}", next.explanation());
        } else {
            log.info("{}", next.explanation());
        }
        lastReason = next.explanation();
    }

    private void logPause(ClusterSpec.Pause pause) {
        if (Objects.equals(pause, lastPause)) {
            return;
        }
        if (pause != null) {
            log.warn(
                    "the cluster is paused (since {}{}): no automatic failover, and keepers start no postgres on their "
                            + "own, until `pgha resume`",
                    pause.since(),
                    pause.until() == null ? "" : ", until " + pause.until());
        } else if (lastPause != null) {
            log.info("the cluster is no longer paused: automatic failover is on again");
        }
        lastPause = pause;
    }

    /** Asks for the base backup backup.schedule says is due (checked every 10 s; compare-and-set: never two). */
    private void requestScheduledBackup() {
        if (backupSchedule.isEmpty() || Instant.now().isBefore(nextScheduleCheck)) {
            return;
        }
        nextScheduleCheck = Instant.now().plusSeconds(10);
        Optional<Versioned<BackupJob>> job = store.backupJob();
        Optional<BackupType> due =
                BackupSchedule.due(backupSchedule, job.map(Versioned::value).orElse(null), Instant.now());
        if (due.isPresent()
                && store.compareAndSetBackupJob(
                        BackupJob.request(
                                UUID.randomUUID().toString(),
                                due.get(),
                                "schedule",
                                Instant.now(),
                                job.map(Versioned::value).orElse(null)),
                        job.map(Versioned::version))) {
            log.info(
                    "backup.schedule: asked the leader for a {} backup",
                    due.get().word());
        }
    }

    /** Nobody can lead, or the leader serves without the synchronous standby its spec asks for. */
    private static boolean needsAttention(ClusterView view, ClusterSnapshot s) {
        return view.cause() == Cause.NO_CANDIDATE
                || view.leader() != null
                        && s.spec().synchronous(s.members().size())
                        && view.synchronousNames().isEmpty();
    }

    /**
     * An operator's request: a pending one is accepted or refused (the requester reads the answer); an accepted one
     * is handed to the planner until the cluster is NORMAL again, then removed. Returns the accepted request, if any.
     */
    private OperatorRequest handleRequest(ClusterSnapshot s) {
        Optional<Versioned<OperatorRequest>> stored = s.request();
        if (stored.isEmpty()) {
            return null;
        }
        OperatorRequest r = stored.get().value();
        int version = stored.get().version();
        ClusterView view = s.view();
        Instant now = Instant.now();
        switch (r.state()) {
            case PENDING -> {
                RequestRules.Verdict v = RequestRules.check(r, s);
                OperatorRequest answered = v.refusal() != null
                        ? r.refuse(v.refusal())
                        : r.accept(v.target(), "accepted", view.generation());
                if (!store.compareAndSetRequest(answered, version)) {
                    loop.trigger();
                    return null;
                }
                if (v.refusal() != null) {
                    log.warn("{} refused: {}", describe(r), v.refusal());
                    return null;
                }
                log.info("{} accepted: target {}", describe(r), v.target());
                return answered;
            }
            case ACCEPTED -> {
                boolean done = view.generation() > r.generation() && view.phase() == Phase.NORMAL;
                if (done || now.isAfter(r.requestedAt().plus(RequestTimeouts.ACCEPTED_LIFETIME))) {
                    store.deleteRequest(version);
                    return null;
                }
                return r;
            }
            default -> {
                if (now.isAfter(r.requestedAt().plus(RequestTimeouts.REFUSAL_LIFETIME))) {
                    store.deleteRequest(version); // its requester did not collect the answer
                }
                return null;
            }
        }
    }

    /** Removes the registrations of members gone longer than the interval; returns the snapshot without them. */
    private ClusterSnapshot removeDeadMembers(ClusterSnapshot s) {
        DeadMembers.Decision d = DeadMembers.next(
                goneSince, s.members().keySet(), s.keepers().keySet(), s.view(), Instant.now(), deadMemberRemoval);
        goneSince = d.goneSince();
        for (String id : d.remove()) {
            store.removeMember(id);
            log.warn(
                    "removed member {}: gone for longer than cluster.deadMemberRemovalInterval ({}); the leader drops "
                            + "its replication slot, and it registers again if it returns",
                    id,
                    Durations.format(deadMemberRemoval));
        }
        return d.remove().isEmpty() ? s : s.withoutMembers(d.remove());
    }

    private static String describe(OperatorRequest r) {
        return r.kind().word() + (r.target() == null ? "" : " to " + r.target());
    }

    private void recordLeaderChange(ClusterView next, KeeperStatus leaderStatus) {
        List<HistoryEntry> history = store.history();
        String previous =
                history.isEmpty() ? null : history.get(history.size() - 1).newLeader();
        store.appendHistory(
                new HistoryEntry(
                        next.updatedAt(),
                        next.generation(),
                        previous,
                        next.leader(),
                        next.reason(),
                        leaderStatus == null ? 0 : leaderStatus.writtenLsn()),
                HISTORY_LIMIT);
    }

    /**
     * The elected sentinel's configuration is the cluster's: it is written into the spec when it differs. Returns the
     * snapshot with that spec.
     */
    private ClusterSnapshot ensureSpec(ClusterSnapshot s) {
        Optional<Versioned<ClusterSpec>> current = s.storedSpec();
        // the operator's pg_hba rules (pgha config hba), pause (pgha pause) and member tags (pgha member tag) are the
        // store's, not this sentinel's configuration
        ClusterSpec.Pause pause = current.map(v -> v.value().pause()).orElse(null);
        boolean pauseEnds = PauseRules.ended(pause, Instant.now());
        Map<String, String> settings = current.map(v -> v.value().settings()).orElse(Map.of());
        ClusterSpec desired = withRuntimeSettings(settings)
                .withHbaRules(current.map(v -> v.value().hbaRules()).orElse(List.of()))
                .withPause(pauseEnds ? null : pause)
                .withMemberTags(current.map(v -> v.value().memberTags()).orElse(Map.of()));
        if (current.isPresent() && current.get().value().equals(desired)) {
            return s;
        }
        if (!store.compareAndSetSpec(desired, current.map(Versioned::version))) {
            // an operator changed it meanwhile (pgha pause, resume, config hba): act on theirs, rewrite next time
            loop.trigger();
            return s;
        }
        if (pauseEnds) {
            log.info("the pause set until {} has ended", pause.until());
        }
        if (current.isEmpty() || !sameSettings(current.get().value(), desired)) {
            log.info(
                    "cluster spec: primary region {}, synchronous mode {}{}, fail timeout {}, maximum lag on failover {}{}",
                    desired.primaryRegion() == null ? "any" : desired.primaryRegion(),
                    desired.synchronousMode().name().toLowerCase(Locale.ROOT),
                    (desired.synchronousStrict() ? " (strict)" : "")
                            + (desired.synchronousStandbys() > 1
                                    ? ", " + desired.synchronousStandbys() + " synchronous standbys"
                                    : ""),
                    Durations.format(desired.failTimeout()),
                    desired.maximumLagOnFailover() == 0 ? "none" : Formats.bytes(desired.maximumLagOnFailover()),
                    desired.holdTimeout() == null
                            ? ""
                            : ", proxies hold clients up to " + Durations.format(desired.holdTimeout()));
        }
        return s.withSpec(desired, current.map(v -> v.version() + 1).orElse(0));
    }

    /**
     * This sentinel's configuration with the operator's runtime settings (`pgha config set cluster.…`) over it; says
     * once where they differ from this member's own configuration. Settings read from the store are checked again:
     * ones that are not valid are ignored, saying so.
     */
    private ClusterSpec withRuntimeSettings(Map<String, String> settings) {
        ClusterSpec applied;
        try {
            applied = RuntimeSettings.apply(desiredSpec, settings).withSettings(settings);
        } catch (InvalidConfigException e) {
            if (!Objects.equals(e.getMessage(), lastSettingsNote)) {
                log.warn("ignoring the cluster's runtime settings in the store: {}", e.getMessage());
                lastSettingsNote = e.getMessage();
            }
            return desiredSpec;
        }
        List<String> differences = new ArrayList<>();
        for (String key : settings.keySet()) {
            String mine = RuntimeSettings.valueOf(desiredSpec, key);
            String cluster = RuntimeSettings.valueOf(applied, key);
            if (!Objects.equals(mine, cluster)) {
                differences.add(key + " is " + cluster + " (pgha config set), this member's configuration says "
                        + (mine == null ? "each proxy's own" : mine));
            }
        }
        String note = String.join("; ", differences);
        if (!note.equals(lastSettingsNote)) {
            if (!differences.isEmpty()) {
                log.warn("the cluster's runtime settings apply over this member's configuration: {}", note);
            }
            lastSettingsNote = note;
        }
        return applied;
    }

    /** The same settings of this sentinel's configuration (the operator's parts aside). */
    private static boolean sameSettings(ClusterSpec a, ClusterSpec b) {
        return a.withHbaRules(List.of())
                .withPause(null)
                .equals(b.withHbaRules(List.of()).withPause(null));
    }

    @Override
    public void close() {
        if (lifecycle.close() != Lifecycle.State.STARTED) {
            return;
        }
        loop.close();
        Closeables.closeQuietly(
                changes, session, election); // the election's node is ephemeral: it goes with the session anyway
    }
}
