package dev.pgha.common.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pgha.common.model.Cause;
import dev.pgha.common.model.ClusterView;
import dev.pgha.common.model.KeeperStatus;
import dev.pgha.common.model.MemberInfo;
import dev.pgha.common.model.MemberState;
import dev.pgha.common.model.Phase;
import dev.pgha.common.model.Role;
import dev.pgha.common.model.Statuses;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Lag and member state are derived once, here, for the proxy, the health endpoints and `pgha status`. */
class ClusterSnapshotTest {
    private static KeeperStatus keeper(
            String id, boolean up, Role role, boolean healthy, long written, long replayed, String following) {
        Statuses.Builder b = Statuses.of(id, role)
                .pgUp(up)
                .written(written)
                .replayed(replayed)
                .following(following)
                .applied(3)
                .at(Instant.now());
        return (healthy ? b : b.unhealthy("why").unhealthySince(null)).build();
    }

    private static MemberInfo member(String id) {
        return new MemberInfo(id, null, id + ".internal", 5433, 5432, 5500, Instant.now());
    }

    @Test
    void everyMemberGetsOneStateWordAndItsLagBehindTheLeader() {
        ClusterView view = new ClusterView(
                3,
                "b",
                List.of(),
                List.of("c"),
                List.of("c"),
                Phase.NORMAL,
                Cause.BOOTSTRAP,
                "member b leads",
                null,
                Instant.now());
        ClusterSnapshot s = new ClusterSnapshot(
                Optional.of(new Versioned<>(view, 3)),
                Optional.empty(),
                Map.of(
                        "a",
                        member("a"),
                        "b",
                        member("b"),
                        "c",
                        member("c"),
                        "d",
                        member("d"),
                        "e",
                        member("e"),
                        "f",
                        member("f")),
                Map.of(
                        "b", keeper("b", true, Role.PRIMARY, true, 5000, 0, null),
                        "c", keeper("c", true, Role.STANDBY, true, 0, 4200, "b"),
                        "d", keeper("d", true, Role.STANDBY, false, 0, 6000, null),
                        "e", keeper("e", false, Role.NONE, false, 0, 0, null),
                        "f", keeper("f", true, Role.STANDBY, true, 0, 1000, null)),
                Map.of(),
                Map.of(),
                Optional.empty(),
                Map.of(),
                Set.of(),
                Set.of(),
                7,
                System.nanoTime());
        List<MemberState> states = s.memberStates();
        assertThat(states).extracting(MemberState::id).containsExactly("b", "a", "c", "d", "e", "f");
        assertThat(states)
                .extracting(m -> m.state().word())
                .containsExactly("running", "down", "streaming", "unhealthy", "stopped", "running");
        assertThat(states.get(0).leads()).isTrue();
        assertThat(states.get(2).synchronous()).isTrue();
        assertThat(s.lagBytes("c")).hasValue(800);
        assertThat(s.lagBytes("d"))
                .as("ahead of the leader's last report: no negative lag")
                .hasValue(0);
        assertThat(s.lagBytes("b")).as("the leader has no lag").isEmpty();
        assertThat(s.lagBytes("a")).as("no status, no lag").isEmpty();
        assertThat(s.lagBytes("e")).as("not a running standby").isEmpty();
        assertThat(s.member("a")).isPresent();
        assertThat(s.spec().synchronousMode())
                .as("the defaults before a spec is written")
                .isNotNull();
    }
}
