package dev.pgha.sentinel;

import static dev.pgha.sentinel.Plans.keepers;
import static dev.pgha.sentinel.Plans.proxies;
import static org.assertj.core.api.Assertions.assertThat;

import dev.pgha.common.model.ClusterSpec;
import dev.pgha.common.model.ClusterView;
import dev.pgha.common.model.KeeperStatus;
import dev.pgha.common.model.OperatorRequest;
import dev.pgha.common.model.Phase;
import dev.pgha.common.model.Statuses;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Where it costs nothing, the new leader is a member whose node does not run the store ensemble's leader: losing that
 * node later would cost a store election and a whole session timeout before the failover could even begin. More WAL
 * and the operator's failoverPriority come first.
 */
class StoreLeaderRulesTest {
    private static final Instant NOW = Statuses.NOW;
    private static final Set<String> MEMBERS = Set.of("a", "b", "c");
    private static final ClusterSpec ASYNC =
            new ClusterSpec(null, ClusterSpec.SyncMode.OFF, false, Duration.ofSeconds(10));
    private static final ClusterSpec SYNC = ClusterSpec.of(null);

    /** A standby with final WAL positions (a failover compares those); "*" in {@code what}: it hosts the store leader. */
    private static KeeperStatus settled(String id, long lsn, String what) {
        Statuses.Builder b = Statuses.standby(id, lsn, null).walFinal(100).tags(what.replace("*", ""));
        return (what.contains("*") ? b.hostsStoreLeader() : b).build();
    }

    /**
     * A failover between b and c (a was lost), asynchronous and with both in the synchronous set. Each row: b's WAL
     * and what it is ("*": its node runs the store leader; tags), the same of c → who is promoted.
     */
    @ParameterizedTest(name = "b {0} [{1}], c {2} [{3}] -> {4}")
    @CsvSource({
        "100, *,                    100, '',                    c",
        "100, '',                   100, *,                     b",
        // more WAL always wins: a failover never loses writes to keep the store leader apart
        "100, *,                    99,  '',                    b",
        "99,  '',                   100, *,                     c",
        // the operator's failoverPriority comes first
        "100, *failoverPriority=2,  100, failoverPriority=1,    b",
        // both (a stale report): by id, as before
        "100, *,                    100, *,                     b",
    })
    void aFailoverPromotesAwayFromTheStoreLeaderWhenItCostsNothing(
            long bWal, String b, long cWal, String c, String expected) {
        var ks = keepers(settled("b", bWal, b), settled("c", cWal, c));
        ClusterView async = new ClusterView(
                6, null, List.of("b", "c"), List.of(), List.of(), Phase.FAILOVER_FENCING, null, "r", "a", NOW);
        assertThat(Plans.next(async, ks, proxies(6, "b", "c"), MEMBERS, ASYNC, NOW)
                        .leader())
                .as("asynchronous")
                .isEqualTo(expected);
        ClusterView sync = new ClusterView(
                6, null, List.of("b", "c"), List.of("b", "c"), List.of(), Phase.FAILOVER_FENCING, null, "r", "a", NOW);
        assertThat(Plans.next(sync, ks, proxies(6, "b", "c"), MEMBERS, SYNC, NOW)
                        .leader())
                .as("synchronous")
                .isEqualTo(expected);
    }

    /** A switchover without a target chooses the same way among the synchronous standbys. */
    @ParameterizedTest(name = "b [{0}], c [{1}] -> {2}")
    @CsvSource({
        "*,  '', c",
        "'', *,  b",
    })
    void aSwitchoverWithoutATargetChoosesAwayFromTheStoreLeader(String b, String c, String expected) {
        ClusterView normal = new ClusterView(
                5, "a", List.of("b", "c"), List.of("b", "c"), List.of("b", "c"), Phase.NORMAL, null, "r", null, NOW);
        KeeperStatus leader = Statuses.primary("a", 100)
                .applied(5)
                .streaming(List.of("b", "c"))
                .synchronousNames(List.of("b", "c"))
                .confirmed(true)
                .build();
        Statuses.Builder bb = Statuses.standby("b", 100, "a");
        Statuses.Builder cb = Statuses.standby("c", 100, "a");
        var ks = keepers(
                leader,
                (b.contains("*") ? bb.hostsStoreLeader() : bb).build(),
                (c.contains("*") ? cb.hostsStoreLeader() : cb).build());
        OperatorRequest switchover = new OperatorRequest(
                "r", OperatorRequest.Kind.SWITCHOVER, null, OperatorRequest.State.PENDING, null, 0, NOW);
        assertThat(Plans.check(switchover, normal, ks, MEMBERS, SYNC).target()).isEqualTo(expected);
    }
}
