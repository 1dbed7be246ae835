package dev.pgha.sentinel;

import static dev.pgha.sentinel.Plans.keepers;
import static dev.pgha.sentinel.Plans.proxies;
import static org.assertj.core.api.Assertions.assertThat;

import dev.pgha.common.model.Cause;
import dev.pgha.common.model.ClusterSpec;
import dev.pgha.common.model.ClusterView;
import dev.pgha.common.model.KeeperStatus;
import dev.pgha.common.model.OperatorRequest;
import dev.pgha.common.model.Phase;
import dev.pgha.common.model.Statuses;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Members' tags (PGHA_TAGS) in the planner: nofailover, nosync, failoverPriority. */
class TagRulesTest {
    private static final Instant NOW = Statuses.NOW;
    private static final Set<String> MEMBERS = Set.of("a", "b", "c");
    private static final ClusterSpec ASYNC =
            new ClusterSpec(null, ClusterSpec.SyncMode.OFF, false, Duration.ofSeconds(10));
    private static final ClusterSpec SYNC = ClusterSpec.of(null);
    private static final ClusterView FENCING = new ClusterView(
            6, null, List.of("b", "c"), List.of(), List.of(), Phase.FAILOVER_FENCING, null, "r", "a", NOW);

    /** Settled (final WAL positions), not following anyone: what a failover compares. */
    private static KeeperStatus settled(String id, long lsn, String tags) {
        return Statuses.standby(id, lsn, null).walFinal(100).tags(tags).build();
    }

    /**
     * Asynchronous failover between b and c (a was lost). Each row: b's WAL and tags, c's WAL and tags → who is
     * promoted ("-": nobody).
     */
    @ParameterizedTest(name = "b {0} [{1}], c {2} [{3}] -> {4}")
    @CsvSource({
        // nofailover: never chosen, even with the most WAL
        "100, nofailover=true,      90,  '',                    c",
        "100, '',                   100, nofailover=true,       b",
        // failoverPriority breaks a tie in WAL, never outweighs more WAL
        "100, '',                   100, failoverPriority=5,    c",
        "100, failoverPriority=2,   100, failoverPriority=1,    b",
        "100, '',                   99,  failoverPriority=1000, b",
        // nosync does not keep a member from leading
        "100, nosync=true,          90,  '',                    b",
        // nobody may be promoted
        "100, nofailover=true,      100, nofailover=true,       -",
    })
    void whoIsPromoted(long bWal, String bTags, long cWal, String cTags, String expected) {
        var ks = keepers(settled("b", bWal, bTags), settled("c", cWal, cTags));
        ClusterView next = Plans.next(FENCING, ks, proxies(6, "b", "c"), MEMBERS, ASYNC, NOW);
        if (expected.equals("-")) {
            assertThat(next.leader()).isNull();
            assertThat(next.cause()).isEqualTo(Cause.NO_CANDIDATE);
            assertThat(next.explanation())
                    .isEqualTo("no leader: no healthy standby to promote: b has tag nofailover; c has tag nofailover");
        } else {
            assertThat(next.leader()).isEqualTo(expected);
            assertThat(next.phase()).isEqualTo(Phase.FAILOVER_PROMOTING);
        }
    }

    @Test
    void nosyncAndNofailoverMembersNeverEnterTheSynchronousSet() {
        ClusterView normal =
                new ClusterView(5, "a", List.of(), List.of(), List.of(), Phase.NORMAL, null, "r", null, NOW);
        KeeperStatus leader = Statuses.primary("a", 100)
                .applied(5)
                .streaming(List.of("b", "c"))
                .synchronousNames(List.of())
                .confirmed(false)
                .build();
        var ks = keepers(
                leader,
                Statuses.standby("b", 100, "a").tags("nosync=true").build(),
                Statuses.standby("c", 100, "a").tags("nofailover=true").build());
        ClusterView next = Plans.next(normal, ks, Map.of(), MEMBERS, SYNC, NOW);
        assertThat(next.syncRequested()).isEmpty();
        assertThat(next.syncStandbys()).isEmpty();
        assertThat(next.explanation()).contains("no synchronous standby is in sync");
        // an untagged one is requested as usual
        var untagged = keepers(
                leader,
                Statuses.standby("b", 100, "a").tags("nosync=true").build(),
                Statuses.standby("c", 100, "a").build());
        assertThat(Plans.next(normal, untagged, Map.of(), MEMBERS, SYNC, NOW).syncRequested())
                .containsExactly("c");
    }

    @Test
    void anOperatorCannotPromoteANofailoverMemberEither() {
        ClusterView normal =
                new ClusterView(5, "a", List.of(), List.of("b"), List.of("b"), Phase.NORMAL, null, "r", null, NOW);
        KeeperStatus leader = Statuses.primary("a", 100)
                .applied(5)
                .streaming(List.of("b"))
                .synchronousNames(List.of("b"))
                .confirmed(true)
                .build();
        var ks = keepers(
                leader, Statuses.standby("b", 100, "a").tags("nofailover=true").build());
        OperatorRequest switchover = new OperatorRequest(
                "r", OperatorRequest.Kind.SWITCHOVER, "b", OperatorRequest.State.PENDING, null, 0, NOW);
        assertThat(Plans.check(switchover, normal, ks, MEMBERS, SYNC).refusal())
                .isEqualTo("b has tag nofailover: it is never promoted");
        OperatorRequest forced = new OperatorRequest(
                "r", OperatorRequest.Kind.FAILOVER, "c", OperatorRequest.State.PENDING, null, 0, NOW);
        assertThat(Plans.check(forced, FENCING, keepers(settled("c", 100, "nofailover=true")), MEMBERS, ASYNC)
                        .refusal())
                .isEqualTo("c has tag nofailover: it is never promoted");
    }
}
