package dev.pgha.common.model;

import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * The cluster view: who leads, written only by the elected sentinel, one generation at a time (compare-and-set on
 * the znode version). Keepers converge postgres to it; proxies route by it.
 *
 * @param generation    monotonic; every change of leader or phase increments it
 * @param leader        member id of the leader, or null while leaderless
 * @param standbys      members that should stream from the leader
 * @param syncStandbys  members in synchronous_standby_names
 * @param phase         see {@link Phase}
 * @param reason        why the view is what it is, in words (shown by status and logs)
 * @param updatedAt     when this generation was written
 */
public record ClusterView(
        long generation,
        String leader,
        List<String> standbys,
        List<String> syncStandbys,
        Phase phase,
        String reason,
        Instant updatedAt) {

    public ClusterView {
        standbys = List.copyOf(Objects.requireNonNullElse(standbys, List.of()));
        syncStandbys = List.copyOf(Objects.requireNonNullElse(syncStandbys, List.of()));
        Objects.requireNonNull(phase, "phase");
    }

    /** The view before the sentinel has written anything. */
    public static ClusterView initial() {
        return new ClusterView(0, null, List.of(), List.of(), Phase.INITIALIZING, "cluster not initialised yet", null);
    }

    /** The next generation with the given leader, phase and reason. */
    public ClusterView advance(String newLeader, Phase newPhase, String newReason, Instant now) {
        return new ClusterView(generation + 1, newLeader, standbys, syncStandbys, newPhase, newReason, now);
    }

    /** The same generation with another explanation (no new generation: nothing anyone acts on changed). */
    public ClusterView withReason(String newReason) {
        return new ClusterView(generation, leader, standbys, syncStandbys, phase, newReason, updatedAt);
    }

    /** Proxies send clients to the leader only once it is confirmed. */
    public boolean routable() {
        return leader != null && phase == Phase.NORMAL;
    }
}
