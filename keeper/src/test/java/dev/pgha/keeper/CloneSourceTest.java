package dev.pgha.keeper;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pgha.common.model.ClusterView;
import dev.pgha.common.model.KeeperStatus;
import dev.pgha.common.model.MemberInfo;
import dev.pgha.common.model.MemberTags;
import dev.pgha.common.model.Phase;
import dev.pgha.common.model.Role;
import dev.pgha.common.model.Statuses;
import dev.pgha.common.store.ClusterSnapshot;
import dev.pgha.common.store.Versioned;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class CloneSourceTest {
    /**
     * Each row: members other than the leader "a" and the new member "me", as id:what (tagged = tagged cloneFrom and
     * streaming from a; the other words change one thing about such a member; replayed=N its replay position,
     * 100 otherwise); whom "me" copies.
     */
    @ParameterizedTest(name = "[{index}] {0} -> {1}")
    @CsvSource(delimiter = '|', textBlock = """
            ''                                   | a
            b:untagged                           | a
            b:tagged                             | b
            b:tagged c:tagged                    | b
            b:tagged c:tagged:replayed=200       | c
            b:tagged:down                        | a
            b:tagged:unhealthy                   | a
            b:tagged:stopping                    | a
            b:tagged:not-following               | a
            b:tagged:follows-c                   | a
            b:tagged:old-timeline                | a
            b:tagged:unregistered                | a
            b:tagged:primary                     | a
            me:tagged                            | a
            b:tagged:down c:tagged               | c
            """)
    void aNewStandbyCopiesAStreamingStandbyTaggedCloneFromElseTheLeader(String others, String source) {
        Map<String, KeeperStatus> keepers = new LinkedHashMap<>();
        Map<String, MemberInfo> members = new LinkedHashMap<>();
        keepers.put("a", status("a", Role.PRIMARY, null, 2, 300, MemberTags.NONE, true, true, false));
        members.put("a", member("a"));
        members.put("me", member("me"));
        for (String other : others.isBlank() ? new String[0] : others.split(" ")) {
            List<String> words = List.of(other.split(":"));
            String id = words.get(0);
            boolean tagged = words.contains("tagged");
            String following = words.contains("not-following") ? null : words.contains("follows-c") ? "c" : "a";
            long replayed = words.stream()
                    .filter(w -> w.startsWith("replayed="))
                    .mapToLong(w -> Long.parseLong(w.substring(9)))
                    .findFirst()
                    .orElse(100);
            keepers.put(
                    id,
                    status(
                            id,
                            words.contains("primary") ? Role.PRIMARY : Role.STANDBY,
                            following,
                            words.contains("old-timeline") ? 1 : 2,
                            replayed,
                            tagged ? MemberTags.parse("cloneFrom=true") : MemberTags.NONE,
                            !words.contains("down"),
                            !words.contains("unhealthy"),
                            words.contains("stopping")));
            if (!words.contains("unregistered")) {
                members.put(id, member(id));
            }
        }
        ClusterSnapshot s = new ClusterSnapshot(
                Optional.of(new Versioned<>(
                        new ClusterView(2, "a", List.of(), List.of(), List.of(), Phase.NORMAL, null, "", null, null),
                        2)),
                Optional.empty(),
                members,
                keepers,
                Map.of(),
                Map.of(),
                Optional.empty(),
                Map.of(),
                Set.of(),
                Set.of(),
                0,
                0);
        assertThat(CloneSource.choose("me", s)).isEqualTo(source);
    }

    @ParameterizedTest(name = "source replayed {0}, slot from {1} -> {2}")
    @CsvSource({"500, 400, true", "400, 400, true", "399, 400, false", "500, 0, false"})
    void aStandbysCopyIsUsedOnlyWhenTheLeaderKeepsTheWalThatFollowsIt(long replayed, long slot, boolean usable) {
        assertThat(CloneSource.walContinues(replayed, slot)).isEqualTo(usable);
    }

    private static MemberInfo member(String id) {
        return new MemberInfo(id, null, "10.0.0." + (id.charAt(0) - 'a' + 1), 5433, 5432, 8008, Instant.EPOCH, 0);
    }

    private static KeeperStatus status(
            String id,
            Role role,
            String following,
            long timeline,
            long replayed,
            MemberTags tags,
            boolean up,
            boolean healthy,
            boolean stopping) {
        Statuses.Builder b =
                role == Role.PRIMARY ? Statuses.primary(id, replayed) : Statuses.standby(id, replayed, following);
        b.following(following).timeline(timeline).tags(tags).pgUp(up).applied(2).at(Instant.EPOCH);
        if (!healthy) {
            b.unhealthy("sick").unhealthySince(null);
        }
        if (stopping) {
            b.stopping();
        }
        return b.build();
    }
}
