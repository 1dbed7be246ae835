package dev.pgha.app.metrics;

import dev.pgha.common.model.ClusterView;
import dev.pgha.common.model.Phase;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * Turns the sequence of views a member sees into leader changes: a NORMAL view whose leader differs from the last
 * NORMAL view's is one change, and the time from the view first leaving NORMAL to that view is the failover's
 * duration (by the sentinel's timestamps). Views may be skipped (a watch collapses quick changes), so only
 * generations and phases are compared, never consecutive pairs alone. Not thread-safe: one owner.
 */
final class LeaderChanges {
    /** A change of leader; {@code failover} is empty when the view never left NORMAL in between as far as seen. */
    record Change(String from, String to, Optional<Duration> failover) {}

    private long generation = -1;
    private String normalLeader; // leader of the last NORMAL view seen
    private Instant leftNormalAt; // when the view last left NORMAL, while it has not returned

    Optional<Change> observe(ClusterView view) {
        if (view.generation() <= generation) {
            return Optional.empty(); // already seen (or older)
        }
        boolean first = generation < 0;
        generation = view.generation();
        Optional<Change> change = Optional.empty();
        if (view.phase() != Phase.NORMAL) {
            if (leftNormalAt == null && normalLeader != null && !first) {
                leftNormalAt = view.updatedAt();
            }
            return change;
        }
        if (!first
                && normalLeader != null
                && view.leader() != null
                && !view.leader().equals(normalLeader)) {
            change = Optional.of(new Change(
                    normalLeader,
                    view.leader(),
                    Optional.ofNullable(leftNormalAt).map(t -> Duration.between(t, view.updatedAt()))));
        }
        normalLeader = view.leader();
        leftNormalAt = null;
        return change;
    }
}
