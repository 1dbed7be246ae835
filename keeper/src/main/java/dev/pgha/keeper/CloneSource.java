package dev.pgha.keeper;

import dev.pgha.common.model.KeeperStatus;
import dev.pgha.common.model.Role;
import dev.pgha.common.store.ClusterSnapshot;
import java.util.Comparator;
import java.util.Optional;

/**
 * Where a new standby copies its data from (pure rules): a member tagged cloneFrom that streams from the leader right
 * now, so that a copy does not load the leader; the leader otherwise. Whatever the source, the copy goes on streaming
 * from the leader through its own slot there, so a standby's copy is usable only when the leader still holds the WAL
 * that follows it: {@link #walContinues} says so before the copy starts.
 */
final class CloneSource {
    private CloneSource() {}

    /**
     * The member {@code self} copies: among the members tagged cloneFrom (never itself) that run as healthy standbys
     * streaming from {@code s}'s leader on its timeline and are not stopping, the one that has replayed the most WAL
     * (then by id); the leader when there is none.
     */
    static String choose(String self, ClusterSnapshot s) {
        String leader = s.view().leader();
        Optional<KeeperStatus> leading = s.keeper(leader);
        if (leading.isEmpty()) {
            return leader;
        }
        long timeline = leading.get().timeline();
        return s.keepers().values().stream()
                .filter(k -> !k.memberId().equals(self) && !k.memberId().equals(leader))
                .filter(k -> k.tags().cloneFrom() && s.member(k.memberId()).isPresent())
                .filter(k -> k.pgUp() && k.healthy() && !k.stopping() && k.role() == Role.STANDBY)
                .filter(k -> leader.equals(k.following()) && k.timeline() == timeline)
                .max(Comparator.comparingLong(KeeperStatus::replayedLsn)
                        .thenComparing(KeeperStatus::memberId, Comparator.reverseOrder()))
                .map(KeeperStatus::memberId)
                .orElse(leader);
    }

    /**
     * A copy of a standby that had replayed up to {@code sourceReplayedLsn} when the copy began ends at or past that
     * point, so the new standby asks the leader for WAL from there on (from the start of that segment); the leader keeps
     * WAL from its slot's {@code slotRestartLsn} (the segment holding it, onwards). Zero: the slot is missing or holds
     * no WAL, and nothing is promised.
     */
    static boolean walContinues(long sourceReplayedLsn, long slotRestartLsn) {
        return slotRestartLsn > 0 && sourceReplayedLsn >= slotRestartLsn;
    }
}
