package dev.pgha.keeper;

import dev.pgha.common.model.ClusterView;
import dev.pgha.common.model.Phase;
import dev.pgha.common.store.ClusterSnapshot;
import dev.pgha.common.store.ClusterStore;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The operator's requests to this member's keeper, read from each snapshot: `pgha reinit` (re-clone from the leader)
 * and `pgha restart` (stop postgres; the next tick starts it again, also while the cluster is paused). Decides what to
 * run; the keeper runs it on its action thread.
 */
final class OperatorRequests {
    private static final Logger log = LoggerFactory.getLogger(OperatorRequests.class);

    /** Work the keeper runs for a request. */
    record Work(String description, ActionRunner.Action action) {}

    private final String memberId;
    private final ClusterStore store;
    private final LocalPostgres postgres;
    private boolean startAsked; // `pgha restart` asked for a start, which a paused cluster's keeper makes only then

    OperatorRequests(String memberId, ClusterStore store, LocalPostgres postgres) {
        this.memberId = memberId;
        this.store = store;
        this.postgres = postgres;
    }

    /**
     * `pgha reinit`: a standby's data replaced by a fresh clone of the leader's, once a leader serves (a request to the
     * leader itself is dropped: the CLI refuses it, this is the second check). The clone deletes the old data only once
     * it starts, behind the half-done marker, so a clone that fails is simply tried again.
     */
    Optional<Work> reinit(ClusterSnapshot s) {
        if (!s.reinits().contains(memberId)) {
            return Optional.empty();
        }
        ClusterView view = s.view();
        if (memberId.equals(view.leader())) {
            store.clearReinit(memberId);
            log.warn("pgha reinit of this member refused: it leads the cluster (switch over first)");
            return Optional.empty();
        }
        if (view.phase() != Phase.NORMAL || view.leader() == null) {
            return Optional.empty(); // once a leader serves
        }
        Upstream leader = Upstream.of(s, view.leader());
        Upstream source = Upstream.of(s, CloneSource.choose(memberId, s));
        log.info("pgha reinit: replacing this member's data with a fresh clone of member {}", source.memberId());
        return Optional.of(new Work("re-cloning member " + source.memberId() + " (pgha reinit)", p -> {
            store.clearReinit(memberId);
            postgres.stopForRestart("re-cloning", "pgha reinit");
            postgres.cloneFrom(leader, source, p);
            p.accept("starting postgres as a standby of member " + leader.memberId());
            postgres.start(leader);
        }));
    }

    /** `pgha restart`: stop postgres (the next tick starts it again), also while the cluster is paused. */
    Optional<Work> restart(ClusterSnapshot s) {
        if (!s.restarts().contains(memberId)) {
            return Optional.empty();
        }
        startAsked = true; // by the operator: also while the cluster is paused
        return Optional.of(new Work("restarting postgres", p -> {
            postgres.stopForRestart("restarting postgres", "pgha restart or pgha config set --restart");
            store.clearRestart(memberId);
        }));
    }

    /** Whether the operator asked for a start (a paused cluster's keeper starts postgres only then). */
    boolean startAsked() {
        return startAsked;
    }

    /** A start (or clone, or rewind) began: the operator's ask is answered. */
    void started() {
        startAsked = false;
    }
}
