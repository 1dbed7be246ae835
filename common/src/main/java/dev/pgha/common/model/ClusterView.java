package dev.pgha.common.model;

import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * The cluster view: who leads, written only by the elected sentinel, one generation at a time (compare-and-set on
 * the stored version). Keepers converge postgres to it; proxies route by it.
 *
 * <p>Synchronous replication uses two sets so that the leader's {@code synchronous_standby_names} is always a
 * subset of {@code syncStandbys}, the members a failover may promote: every acknowledged commit is then on at least
 * one of them. The leader runs {@code ANY 1 (syncStandbys ∩ syncRequested)}. A member joins by entering both sets
 * in one generation (the view grows before postgres); it leaves {@code syncRequested} first and {@code
 * syncStandbys} only once the leader reports postgres no longer waits for it (postgres shrinks before the view).
 * The empty set is the exception both ways, since the leader acknowledges alone then: {@code syncStandbys} empties
 * view-first (once nobody is requested, the leader keeps waiting for {@code syncStandbys}; the sentinel empties it
 * once the leader has applied that, and only then does the leader stop waiting), and grows again only once the
 * leader reports that a member it waits for has flushed past what it acknowledged alone; meanwhile the leader waits
 * for {@code syncRequested}.
 *
 * @param generation    monotonic; every change anyone acts on increments it
 * @param leader        member id of the leader, or null while leaderless
 * @param standbys      members following the leader (for status)
 * @param syncStandbys  members that may hold acknowledged commits the others lack: only they may be promoted
 * @param syncRequested members the sentinel wants the leader to wait for
 * @param phase         see {@link Phase}
 * @param cause         see {@link Cause}; what decisions read
 * @param reason        why the view is what it is, in words (shown by status and logs; never parsed)
 * @param formerLeader  the member that led before the current (or the coming) leader: during a failover the one
 *                      that was lost (it may lead again if it returns first), during a switchover the one handing
 *                      over; null before the first leader
 * @param updatedAt     when this generation was written
 */
public record ClusterView(
        long generation,
        String leader,
        List<String> standbys,
        List<String> syncStandbys,
        List<String> syncRequested,
        Phase phase,
        Cause cause,
        String reason,
        String formerLeader,
        Instant updatedAt) {

    public ClusterView {
        standbys = sorted(standbys);
        syncStandbys = sorted(syncStandbys);
        syncRequested = sorted(syncRequested);
        Objects.requireNonNull(phase, "phase");
        // a view written by a version without causes: its leader got there somehow, an automatic change at worst
        cause = Objects.requireNonNullElse(cause, phase == Phase.INITIALIZING ? Cause.BOOTSTRAP : Cause.FAILOVER);
    }

    private static List<String> sorted(List<String> list) {
        return Objects.requireNonNullElse(list, List.<String>of()).stream()
                .sorted()
                .distinct()
                .toList();
    }

    /** The view before the sentinel has written anything. */
    public static ClusterView initial() {
        return new ClusterView(
                0,
                null,
                List.of(),
                List.of(),
                List.of(),
                Phase.INITIALIZING,
                Cause.BOOTSTRAP,
                "cluster not initialised yet",
                null,
                null);
    }

    /** The next generation with the given leader, phase, cause and reason. */
    public ClusterView advance(String newLeader, Phase newPhase, Cause newCause, String newReason, Instant now) {
        return new ClusterView(
                generation + 1,
                newLeader,
                standbys,
                syncStandbys,
                syncRequested,
                newPhase,
                newCause,
                newReason,
                formerLeader,
                now);
    }

    /** The same generation with another explanation (no new generation: nothing anyone acts on changed). */
    public ClusterView withReason(Cause newCause, String newReason) {
        return new ClusterView(
                generation,
                leader,
                standbys,
                syncStandbys,
                syncRequested,
                phase,
                newCause,
                newReason,
                formerLeader,
                updatedAt);
    }

    public ClusterView withStandbys(List<String> newStandbys) {
        return new ClusterView(
                generation,
                leader,
                newStandbys,
                syncStandbys,
                syncRequested,
                phase,
                cause,
                reason,
                formerLeader,
                updatedAt);
    }

    public ClusterView withSync(List<String> newSyncStandbys, List<String> newSyncRequested) {
        return new ClusterView(
                generation,
                leader,
                standbys,
                newSyncStandbys,
                newSyncRequested,
                phase,
                cause,
                reason,
                formerLeader,
                updatedAt);
    }

    public ClusterView withFormerLeader(String member) {
        return new ClusterView(
                generation, leader, standbys, syncStandbys, syncRequested, phase, cause, reason, member, updatedAt);
    }

    /** The synchronous standbys: waited for and promotable (syncStandbys ∩ syncRequested), in id order. */
    public List<String> synchronousNames() {
        return syncStandbys.stream().filter(syncRequested::contains).toList();
    }

    /**
     * What the leader's postgres waits for (its synchronous_standby_names), in id order: the synchronous standbys.
     * While nobody may be promoted (syncStandbys empty: the leader may have acknowledged commits alone), the requested
     * ones, so that they start acknowledging and the leader can confirm that one has all it acknowledged alone. While
     * nobody is requested but syncStandbys still names members, those: they stay promotable until the view says
     * otherwise, so the leader must not acknowledge anything they lack.
     */
    public List<String> awaitedNames() {
        if (syncStandbys.isEmpty()) {
            return syncRequested;
        }
        List<String> both = synchronousNames();
        return both.isEmpty() ? syncStandbys : both;
    }

    /** Proxies send clients to the leader only once it is confirmed. */
    public boolean routable() {
        return leader != null && phase == Phase.NORMAL;
    }

    /** The reason as logs and status show it: a cluster that cannot choose a leader says so first. */
    public String explanation() {
        return cause == Cause.NO_CANDIDATE ? "no leader: " + reason : reason;
    }
}
