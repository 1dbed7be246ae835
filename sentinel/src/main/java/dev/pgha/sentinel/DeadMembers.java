package dev.pgha.sentinel;

import dev.pgha.common.model.ClusterView;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Which registered members have been gone (no keeper session) for {@code cluster.deadMemberRemovalInterval} and
 * are removed, so the leader drops their replication slots before retained WAL fills its disk. Pure: the elected
 * sentinel keeps the {@code goneSince} map between evaluations (a newly elected sentinel starts its clocks afresh,
 * which only delays a removal). The leader and members the view still counts as synchronous are never removed:
 * in strict mode writes wait for them, and forgetting them would weaken that promise silently.
 */
final class DeadMembers {
    /** @param goneSince when each absent member was first seen absent; {@code remove}: members to remove now */
    record Decision(Map<String, Instant> goneSince, List<String> remove) {}

    private DeadMembers() {}

    static Decision next(
            Map<String, Instant> goneSince,
            Set<String> registered,
            Set<String> live,
            ClusterView view,
            Instant now,
            Duration interval) {
        Map<String, Instant> next = new TreeMap<>();
        List<String> remove = new ArrayList<>();
        for (String id : new TreeSet<>(registered)) {
            if (live.contains(id)) {
                continue;
            }
            Instant since = goneSince.getOrDefault(id, now);
            boolean protectedMember =
                    id.equals(view.leader()) || view.awaitedNames().contains(id);
            if (!protectedMember && !now.isBefore(since.plus(interval))) {
                remove.add(id);
            } else {
                next.put(id, since);
            }
        }
        return new Decision(Map.copyOf(next), List.copyOf(remove));
    }
}
