package dev.pgha.keeper;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class AccessPolicyTest {
    private static AccessPolicy policy(Set<String> superusers, Set<String> members, boolean requireTls) {
        return new AccessPolicy("repluser", new TreeSet<>(superusers), new TreeSet<>(members), requireTls, List.of());
    }

    private static List<String> rules(AccessPolicy p) {
        return p.hba()
                .lines()
                .filter(l -> !l.startsWith("#"))
                .map(l -> String.join(" ", l.split("\\s+")))
                .toList();
    }

    @Test
    void neverTrustsAndUsesScramOrReject() {
        String hba = policy(Set.of("flypgadmin", "postgres"), Set.of("10.0.0.2"), false)
                .hba();
        assertThat(hba).doesNotContain("trust").doesNotContain("md5").doesNotContain("password ");
        assertThat(rules(policy(Set.of("flypgadmin"), Set.of("10.0.0.2"), true)))
                .allSatisfy(l -> assertThat(l).matches(".* (scram-sha-256|reject)"));
    }

    @Test
    void theRulesInOrder() {
        assertThat(rules(policy(Set.of("flypgadmin", "postgres"), Set.of("10.0.0.2", "fdaa::3"), false)))
                .containsExactly(
                        "local all all scram-sha-256",
                        "host all all 127.0.0.1/32 scram-sha-256",
                        "host all all ::1/128 scram-sha-256",
                        "host replication \"repluser\" 127.0.0.1/32 scram-sha-256",
                        "host replication \"repluser\" ::1/128 scram-sha-256",
                        "hostssl replication \"repluser\" 10.0.0.2/32 scram-sha-256",
                        "hostssl replication \"repluser\" fdaa::3/128 scram-sha-256",
                        "hostnossl all \"repluser\",\"flypgadmin\",\"postgres\" all reject",
                        "host all all all scram-sha-256");
    }

    @ParameterizedTest(name = "requireTls={0}: the last rule is {1}")
    @CsvSource({"false, host all all all scram-sha-256", "true, hostssl all all all scram-sha-256"})
    void requireTlsDecidesTheRuleForEveryoneElse(boolean requireTls, String last) {
        List<String> r = rules(policy(Set.of("postgres"), Set.of(), requireTls));
        assertThat(r.get(r.size() - 1)).isEqualTo(last);
    }

    @Test
    void hostileSuperuserNamesAreQuotedOrReported() {
        AccessPolicy p = policy(Set.of("all", "+admins", "we\"ird", "new\nline", "ok name"), Set.of(), false);
        assertThat(rules(p)).contains("hostnossl all \"repluser\",\"+admins\",\"all\",\"ok name\" all reject");
        assertThat(p.unrepresentable()).containsExactlyInAnyOrder("we\"ird", "new\nline");
        assertThat(p.hba().lines().filter(l -> l.contains("new") || l.contains("ird")))
                .isEmpty();
    }

    @Test
    void withoutMembersReplicationIsLoopbackOnly() {
        assertThat(rules(policy(Set.of("postgres"), Set.of(), false)))
                .filteredOn(l -> l.contains("replication"))
                .allSatisfy(l -> assertThat(l).containsAnyOf("127.0.0.1/32", "::1/128"));
    }

    @Test
    void theOperatorsRulesComeAfterPghasAndBeforeTheRuleForEveryoneElse() {
        List<String> r = rules(policy(Set.of("postgres"), Set.of(), false)
                .withOperatorRules(
                        List.of("host all all 10.9.0.0/16 reject", "hostssl all app 10.0.0.0/8 scram-sha-256")));
        assertThat(r.subList(r.size() - 4, r.size()))
                .containsExactly(
                        "hostnossl all \"repluser\",\"postgres\" all reject",
                        "host all all 10.9.0.0/16 reject",
                        "hostssl all app 10.0.0.0/8 scram-sha-256",
                        "host all all all scram-sha-256");
    }
}
