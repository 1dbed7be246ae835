package dev.pgha.common.request;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pgha.common.PghaException;
import dev.pgha.common.model.Cause;
import dev.pgha.common.model.ClusterView;
import dev.pgha.common.model.OperatorRequest;
import dev.pgha.common.model.Phase;
import dev.pgha.common.store.InMemoryCluster;
import dev.pgha.common.store.InMemoryClusterStore;
import dev.pgha.common.store.Topic;
import dev.pgha.common.store.Versioned;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumSet;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class LeaderRequestTest {
    private final InMemoryClusterStore store = new InMemoryCluster().connect();

    /** A leaderless, fenced cluster at generation 5 (what a forced failover is accepted for). */
    private ClusterView leaderless() {
        ClusterView v = ClusterView.initial()
                .advance("a", Phase.NORMAL, Cause.BOOTSTRAP, "a leads", Instant.now())
                .advance(null, Phase.FAILOVER_FENCING, Cause.FAILOVER, "a was lost", Instant.now());
        assertThat(store.compareAndSetView(v, Optional.empty())).isTrue();
        return v;
    }

    /**
     * A sentinel that answers at once, as the request is written: it accepts, carries the failover out to NORMAL
     * (with {@code leads} as the leader) and removes the request, all before the requester first looks.
     */
    private void sentinelThatFinishesBeforeTheRequesterLooks(String leads) {
        store.onChange(EnumSet.of(Topic.REQUEST), () -> {
            Optional<Versioned<OperatorRequest>> r = store.snapshot().request();
            if (r.isEmpty() || r.get().value().state() != OperatorRequest.State.PENDING) {
                return;
            }
            Versioned<ClusterView> v = store.view().orElseThrow();
            ClusterView promoting =
                    v.value().advance(leads, Phase.FAILOVER_PROMOTING, Cause.OPERATOR, "promoting", Instant.now());
            ClusterView normal = promoting.advance(leads, Phase.NORMAL, Cause.OPERATOR, "leads", Instant.now());
            store.compareAndSetRequest(
                    r.get().value().accept("b", "accepted", promoting.generation()),
                    r.get().version());
            store.compareAndSetView(promoting, Optional.of(v.version()));
            store.compareAndSetView(normal, Optional.of(v.version() + 1));
            store.deleteRequest(r.get().version() + 1);
        });
    }

    @Test
    void aRequestCarriedOutAndRemovedBeforeTheRequesterLookedCompletes() {
        ClusterView before = leaderless();
        sentinelThatFinishesBeforeTheRequesterLooks("b");

        LeaderRequest.Outcome done =
                LeaderRequest.run(store, OperatorRequest.Kind.FAILOVER, "b", Duration.ofSeconds(5));

        assertThat(done.to()).isEqualTo("b");
        assertThat(done.generation()).isEqualTo(before.generation() + 2);
        assertThat(store.snapshot().request()).isEmpty();
    }

    @Test
    void aRequestThatVanishedWithAnotherMemberLeadingIsAnError() {
        leaderless();
        sentinelThatFinishesBeforeTheRequesterLooks("c");

        assertThatThrownBy(() -> LeaderRequest.run(store, OperatorRequest.Kind.FAILOVER, "b", Duration.ofSeconds(5)))
                .isInstanceOf(PghaException.class)
                .hasMessage("the request disappeared before the sentinel answered it");
    }
}
