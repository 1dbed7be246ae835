package dev.pgha.keeper;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pgha.common.secret.Secret;
import org.junit.jupiter.api.Test;
import org.postgresql.util.PasswordUtil;

class ScramVerifierTest {
    private static final Secret PASSWORD = Secret.of("s3cret-ü");

    @Test
    void aVerifierOfThePasswordMatches() {
        String stored = PasswordUtil.encodeScramSha256(PASSWORD.revealChars());
        assertThat(ScramVerifier.matches(stored, PASSWORD)).isTrue();
        // what postgres itself stores for a password given in clear (CREATE ROLE ... PASSWORD 'pgha'), salt and all
        assertThat(ScramVerifier.matches(
                        "SCRAM-SHA-256$4096:R1lXXWCKaTCbEcKMJDRiqg==$d1/KnQlzA5g5nSUSKy3JU4cykRdnQE559+IPUqOfxtA="
                                + ":EbdSl6J9dE3Zc/yEvcKz735JTBYdv8DG8Gnx3FnRWik=",
                        Secret.of("pgha")))
                .isTrue();
    }

    @Test
    void anythingElseDoesNot() {
        String stored = PasswordUtil.encodeScramSha256(PASSWORD.revealChars());
        assertThat(ScramVerifier.matches(stored, Secret.of("other"))).isFalse();
        assertThat(ScramVerifier.matches(null, PASSWORD)).isFalse();
        assertThat(ScramVerifier.matches("md5" + "0".repeat(32), PASSWORD)).isFalse();
        assertThat(ScramVerifier.matches("SCRAM-SHA-256$4096:!!!$a:b", PASSWORD))
                .isFalse();
        assertThat(ScramVerifier.matches(stored.replace("$4096:", "$999999999:"), PASSWORD))
                .as("too many iterations to check")
                .isFalse();
        assertThat(ScramVerifier.matches(stored.replace("$4096:", "$4097:"), PASSWORD))
                .isFalse();
    }

    @Test
    void aVerifierFoundBeforeStillNeedsItsPassword() {
        String stored = PasswordUtil.encodeScramSha256(PASSWORD.revealChars());
        assertThat(ScramVerifier.matches(stored, PASSWORD)).isTrue();
        assertThat(ScramVerifier.matches(stored, Secret.of("other"))).isFalse();
        assertThat(ScramVerifier.matches(stored, Secret.of(PASSWORD.reveal()))).isTrue();
        assertThat(ScramVerifier.matches(stored, PASSWORD)).isTrue();
    }
}
