package dev.pgha.app.cli;

import dev.pgha.common.model.ClusterSpec;
import dev.pgha.common.model.Phase;
import java.time.Duration;
import java.util.List;

/**
 * What {@code pgha status} shows: the view's generation and phase, the pause if any (`pgha pause`), one row per member
 * (the leader first) and the warnings an operator should act on.
 */
record ClusterStatus(
        String cluster,
        long generation,
        Phase phase,
        String reason,
        String leader,
        ClusterSpec.Pause pause,
        List<Member> members,
        List<String> warnings) {

    /**
     * @param role     leader, replica or witness
     * @param state    running, streaming, stopped, unhealthy or down
     * @param timeline 0 when unknown
     * @param lagBytes WAL the member has yet to replay behind the leader; null for the leader or when unknown
     * @param checks   its health checks; null when they could not be asked (no HTTP, a witness)
     * @param uptime   since it registered (its daemon started); null when down
     * @param tags     its tags (PGHA_TAGS) as "nofailover,nosync"; "" for none or unknown
     */
    record Member(
            String id,
            String region,
            String role,
            String state,
            long timeline,
            Long lagBytes,
            Checks checks,
            String address,
            Duration uptime,
            String tags,
            String store) {
        /** A member whose store role is unknown (an external store, or a witness of an ensemble given up front). */
        Member(
                String id,
                String region,
                String role,
                String state,
                long timeline,
                Long lagBytes,
                Checks checks,
                String address,
                Duration uptime,
                String tags) {
            this(id, region, role, state, timeline, lagBytes, checks, address, uptime, tags, "");
        }
    }

    /** Health checks of a member: how many of /flycheck/vm, /pg and /role pass, and which fail. */
    record Checks(int passing, int total, List<String> failing) {}
}
