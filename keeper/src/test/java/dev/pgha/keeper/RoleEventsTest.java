package dev.pgha.keeper;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pgha.common.model.Role;
import dev.pgha.keeper.RoleEvents.Seen;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class RoleEventsTest {

    @ParameterizedTest(name = "{0}")
    @CsvSource(
            delimiter = '|',
            value = {
                // case                                   | up before | last role | up now | role now | fired
                //                     | last role after
                "first look, postgres down                | false     | NONE      | false  | NONE     |                                      | NONE",
                "first start as a replica                 | false     | NONE      | true   | STANDBY  | on_start replica                     | STANDBY",
                "first start as the leader                | false     | NONE      | true   | PRIMARY  | on_start primary                     | PRIMARY",
                "still a replica                          | true      | STANDBY   | true   | STANDBY  |                                      | STANDBY",
                "promoted                                 | true      | STANDBY   | true   | PRIMARY  | on_role_change primary               | PRIMARY",
                "fenced or shut down as the leader        | true      | PRIMARY   | false  | NONE     | on_stop primary                      | PRIMARY",
                "former leader back as a replica          | false     | PRIMARY   | true   | STANDBY  | on_start replica,on_role_change replica | STANDBY",
                "restarted in the same role               | false     | STANDBY   | true   | STANDBY  | on_start replica                     | STANDBY",
                "a replica stops                          | true      | STANDBY   | false  | PRIMARY  | on_stop replica                      | STANDBY",
                "up without a known role counts as down   | true      | STANDBY   | true   | NONE     | on_stop replica                      | STANDBY",
                "still down                               | false     | PRIMARY   | false  | NONE     |                                      | PRIMARY",
            })
    void eventsFromOneLookToTheNext(
            String name, boolean upBefore, Role lastRole, boolean up, Role role, String fired, Role lastAfter) {
        RoleEvents.Step step = RoleEvents.step(new Seen(upBefore, lastRole), up, role);
        List<String> words = step.fired().stream()
                .map(f -> f.event().word + " " + f.roleWord())
                .toList();
        assertThat(words).containsExactlyElementsOf(fired == null ? List.of() : List.of(fired.split(",")));
        assertThat(step.seen()).isEqualTo(new Seen(up && role != Role.NONE, lastAfter));
    }
}
