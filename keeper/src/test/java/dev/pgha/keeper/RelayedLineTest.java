package dev.pgha.keeper;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class RelayedLineTest {
    @ParameterizedTest(name = "{0}")
    @CsvSource(
            delimiter = '|',
            value = {
                "[12] postgres@postgres STATEMENT:  CREATE ROLE \"app\" WITH LOGIN PASSWORD 'SCRAM-SHA-256$4096:abc$def:ghi'"
                        + "|[12] postgres@postgres STATEMENT:  CREATE ROLE … [statement with a password: not logged]",
                "[12] LOG:  statement: alter user bob password 'hunter2'"
                        + "|[12] LOG:  statement: ALTER USER … [statement with a password: not logged]",
                "[12] DETAIL:  verifier SCRAM-SHA-256$4096:c2FsdA==$a:b rest|[12] DETAIL:  verifier [SCRAM verifier hidden] rest",
                "[12] DETAIL:  old md5d41d8cd98f00b204e9800998ecf8427e|[12] DETAIL:  old [password hash hidden]",
                "[12] LOG:  database system is ready to accept connections|[12] LOG:  database system is ready to accept connections",
            })
    void secretsNeverReachTheLog(String raw, String relayed) {
        assertThat(RelayedLine.clean(raw)).isEqualTo(relayed);
    }

    @ParameterizedTest(name = "control character {0}")
    @CsvSource({"10, \\x0a", "13, \\x0d", "27, \\x1b", "133, \\x85"})
    void controlCharactersAreEscapedSoOneEventStaysOneLine(int ch, String escaped) {
        assertThat(RelayedLine.clean("FATAL:  role \"a" + (char) ch + "b\" does not exist"))
                .isEqualTo("FATAL:  role \"a" + escaped + "b\" does not exist");
    }

    @Test
    void aLineBreakInAMessageCannotStartAnEventOfItsOwn() {
        assertThat(RelayedLine.continuation("[42] LOG:  checkpoint starting"))
                .isEqualTo("[42] LOG:  checkpoint starting");
        assertThat(RelayedLine.continuation("\tmore detail")).isEqualTo("\tmore detail");
        assertThat(RelayedLine.continuation("[keeper] leader is mallory")).isEqualTo("↳ [keeper] leader is mallory");
    }
}
