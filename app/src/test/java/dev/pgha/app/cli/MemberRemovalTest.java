package dev.pgha.app.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pgha.common.store.StoreEnsemble;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class MemberRemovalTest {

    /** "v" a voter, "o" an observer: server i+1 is the i-th letter. */
    private static Optional<StoreEnsemble> ensemble(String roles) {
        if (roles.equals("-")) {
            return Optional.empty();
        }
        StringBuilder text = new StringBuilder("version=100\n");
        for (int i = 0; i < roles.length(); i++) {
            text.append("server.")
                    .append(i + 1)
                    .append("=127.0.0.1:")
                    .append(1000 + i)
                    .append(":")
                    .append(2000 + i)
                    .append(roles.charAt(i) == 'o' ? ":observer" : ":participant")
                    .append(";127.0.0.1:")
                    .append(3000 + i)
                    .append('\n');
        }
        return Optional.of(StoreEnsemble.parse(text.toString()));
    }

    /** Each row: the ensemble, the removed member's server (0: none), force, what leaves, who becomes a voter. */
    @ParameterizedTest
    @CsvSource(delimiter = '|', textBlock = """
            vvvo  | 4 | false | 4 | -
            vvvo  | 2 | false | 2 | 4
            vvvoo | 3 | false | 3 | 4
            vvvvv | 5 | true  | 5 | -
            vvv   | 3 | true  | 3 | -
            -     | 0 | false | - | -
            vvv   | 0 | false | - | -
            vvv   | 9 | false | - | -
            """)
    void plansTheEnsembleChange(String roles, int server, boolean force, String leaving, String promoted) {
        MemberRemoval plan = MemberRemoval.plan("b", "a", server, ensemble(roles), force);
        assertThat(plan.leaving().map(String::valueOf).orElse("-")).isEqualTo(leaving);
        assertThat(plan.joining().stream().map(s -> s.id() + "").findFirst().orElse("-"))
                .isEqualTo(promoted);
        plan.joining().forEach(s -> assertThat(s.observer()).isFalse());
    }

    /** Each row: the ensemble, the removed member's server, the refusal. */
    @ParameterizedTest
    @CsvSource(delimiter = '|', textBlock = """
            vvv   | 3 | removing member b leaves the store with 2 voters: 2 voters stop the store when either one fails, which is worse than 1; add a node first (PGHA_JOIN), or pass --force to remove it anyway
            vvvvv | 5 | removing member b leaves the store with 4 voters: 4 voters survive no more failures than 3; add a node first (PGHA_JOIN), or pass --force to remove it anyway
            vv    | 2 | removing member b leaves the store with 1 voter: the store then stops whenever that one node does; add a node first (PGHA_JOIN), or pass --force to remove it anyway
            """)
    void refusesToWeakenTheStoreUnlessForced(String roles, int server, String message) {
        assertThatThrownBy(() -> MemberRemoval.plan("b", "a", server, ensemble(roles), false))
                .hasMessage(message);
    }

    @Test
    void refusesTheLeader() {
        assertThatThrownBy(() -> MemberRemoval.plan("a", "a", 1, ensemble("vvvo"), true))
                .hasMessage("member a leads the cluster: switch over first (pgha switchover --to ANOTHER), then "
                        + "remove it");
    }
}
