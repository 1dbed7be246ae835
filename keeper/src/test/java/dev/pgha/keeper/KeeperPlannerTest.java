package dev.pgha.keeper;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pgha.common.model.ClusterView;
import dev.pgha.common.model.Phase;
import dev.pgha.common.model.Role;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class KeeperPlannerTest {
    /**
     * Each row: the view's leader ("-" for none) and phase; this member's data, postgres and role; the action.
     * This member is "me".
     */
    @ParameterizedTest(name = "leader={0} {1}, initialized={2} running={3} {4} -> {5}")
    @CsvSource({
            // no leader yet: wait, whatever the data (the sentinel designates)
            "-,  INITIALIZING,       false, false, NONE,    WAIT",
            "-,  INITIALIZING,       true,  false, NONE,    WAIT",
            "-,  INITIALIZING,       true,  true,  PRIMARY, WAIT",
            // designated: create the cluster, or start the existing one
            "me, INITIALIZING,       false, false, NONE,    INITIALIZE",
            "me, INITIALIZING,       true,  false, NONE,    START",
            "me, INITIALIZING,       true,  true,  PRIMARY, NONE",
            // leading
            "me, NORMAL,             true,  false, NONE,    START",
            "me, NORMAL,             true,  true,  PRIMARY, NONE",
            // leading an initialised cluster with an empty data directory: never initdb over it
            "me, NORMAL,             false, false, NONE,    REFUSE",
            // another member leads: a local primary is fenced at once
            "b,  NORMAL,             true,  true,  PRIMARY, FENCE",
            "b,  INITIALIZING,       true,  true,  PRIMARY, FENCE",
            "b,  NORMAL,             true,  true,  STANDBY, WAIT",
            "b,  NORMAL,             true,  false, NONE,    WAIT",
            "b,  NORMAL,             false, false, NONE,    WAIT",
            // the cluster was made leaderless (failover under way): a local primary stops taking writes
            "-,  FAILOVER_FENCING,   true,  true,  PRIMARY, FENCE",
            "-,  FAILOVER_PROMOTING, true,  true,  PRIMARY, FENCE",
            "-,  FAILOVER_FENCING,   true,  false, NONE,    WAIT",
    })
    void decides(String leader, Phase phase, boolean initialized, boolean running, Role role, KeeperAction.Kind expected) {
        ClusterView view = new ClusterView(3, leader.equals("-") ? null : leader, List.of(), List.of(), phase, "", null);
        KeeperAction action = KeeperPlanner.decide("me", view, new KeeperPlanner.Local(initialized, running, role));
        assertThat(action.kind()).isEqualTo(expected);
        assertThat(action.reason()).isNotBlank();
    }

    @org.junit.jupiter.api.Test
    void refusalExplainsTheFix() {
        ClusterView view = new ClusterView(7, "me", List.of(), List.of(), Phase.NORMAL, "", null);
        KeeperAction action = KeeperPlanner.decide("me", view, new KeeperPlanner.Local(false, false, Role.NONE));
        assertThat(action.reason()).contains("generation 7").contains("data directory is empty")
                .contains("Restore the data directory");
    }
}
