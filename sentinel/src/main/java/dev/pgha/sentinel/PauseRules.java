package dev.pgha.sentinel;

import dev.pgha.common.model.ClusterSpec;
import java.time.Instant;
import java.time.temporal.ChronoUnit;

/**
 * `pgha pause`: while the spec holds a pause the sentinel starts no automatic failover from a leader that is unhealthy
 * or silent, and chooses no leader for a leaderless cluster; a leader whose store session ended still loses the lead
 * (it fences itself anyway), and operators' requests are carried out. Pure, like the other rules.
 */
final class PauseRules {
    private PauseRules() {}

    /** Whether the pause's end time has come (on the elected sentinel's wall clock: the operator gave a time). */
    static boolean ended(ClusterSpec.Pause pause, Instant now) {
        return pause != null && pause.until() != null && !now.isBefore(pause.until());
    }

    /** The reason a view gives while the pause holds back a failover for {@code why}. */
    static String heldBack(ClusterSpec.Pause pause, String why) {
        return "paused since " + pause.since().truncatedTo(ChronoUnit.SECONDS) + until(pause) + ": " + why
                + "; no automatic failover while the cluster is paused (`pgha resume` turns it back on, `pgha "
                + "failover --to MEMBER --force` promotes a standby now)";
    }

    private static String until(ClusterSpec.Pause pause) {
        return pause.until() == null ? "" : " until " + pause.until().truncatedTo(ChronoUnit.SECONDS);
    }
}
