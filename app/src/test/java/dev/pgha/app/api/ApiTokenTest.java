package dev.pgha.app.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pgha.common.secret.Secret;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ApiTokenTest {
    private static final String TOKEN = ApiToken.derive(Secret.of("operator-password"), "shop");

    @Test
    void theTokenIsBoundToThePasswordAndTheCluster() {
        assertThat(TOKEN)
                .isEqualTo(ApiToken.derive(Secret.of("operator-password"), "shop"))
                .hasSize(43);
        assertThat(ApiToken.derive(Secret.of("operator-password"), "shop-2")).isNotEqualTo(TOKEN);
        assertThat(ApiToken.derive(Secret.of("rotated"), "shop")).isNotEqualTo(TOKEN);
        assertThat(TOKEN).doesNotContain("operator-password");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(
            delimiter = '|',
            value = {
                "bearer                     | Bearer TOKEN        | true",
                "bearer, any case           | bearer TOKEN        | true",
                "basic as pgha              | Basic pgha:TOKEN    | true",
                "basic as another user      | Basic admin:TOKEN   | false",
                "a wrong token              | Bearer TOKENx       | false",
                "no scheme                  | TOKEN               | false",
                "basic that is not base64   | Basic ***           | false",
                "empty                      | ''                  | false",
            })
    void anAuthorizationHeaderIsAcceptedOnlyWithTheToken(String name, String header, boolean accepted) {
        String h = header.replace("TOKEN", TOKEN);
        if (h.startsWith("Basic ") && h.contains(":")) {
            h = "Basic " + Base64.getEncoder().encodeToString(h.substring(6).getBytes(StandardCharsets.UTF_8));
        }
        assertThat(ApiToken.accepts(Optional.of(h), TOKEN)).isEqualTo(accepted);
    }

    @Test
    void noHeaderIsRefused() {
        assertThat(ApiToken.accepts(Optional.empty(), TOKEN)).isFalse();
    }
}
