package dev.pgha.common.model;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class HbaRulesTest {
    @ParameterizedTest(name = "{0}")
    @CsvSource(
            delimiter = '|',
            nullValues = "OK",
            value = {
                "hostssl all app 10.0.0.0/8 scram-sha-256 | OK",
                "host all all 0.0.0.0/0 reject | OK",
                "host sales,hr +staff 192.168.1.0 255.255.255.0 scram-sha-256 | OK",
                "hostssl all all ::/0 cert clientcert=verify-full | OK",
                "host all all 10.0.0.0/8 trust | method trust lets a client in without proving a password",
                "host all all 10.0.0.0 255.0.0.0 password | method password lets a client in",
                "host all all samehost ident | method ident lets a client in",
                "local all all scram-sha-256 | starts with host, hostssl",
                "host all @admins 10.0.0.0/8 scram-sha-256 | may not refer to files",
                "# host all all 0.0.0.0/0 trust | a comment is not a pg_hba rule",
                "host all all scram-sha-256 | needs at least TYPE DATABASE USER ADDRESS METHOD",
            })
    void rules(String rule, String refusal) {
        if (refusal == null) {
            assertThat(HbaRules.refusal(rule)).isEmpty();
        } else {
            assertThat(HbaRules.refusal(rule)).get().asString().contains(refusal);
        }
    }

    @ParameterizedTest(name = "control character {0}")
    @CsvSource({"10", "13", "0", "9"})
    void aRuleIsOneLineOfPrintableText(int ch) {
        assertThat(HbaRules.refusal(
                        "host all all 10.0.0.0/8 scram-sha-256" + (char) ch + "host all all 0.0.0.0/0 trust"))
                .get()
                .asString()
                .contains("one line of printable ASCII");
    }
}
