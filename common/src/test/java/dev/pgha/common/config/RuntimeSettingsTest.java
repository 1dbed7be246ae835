package dev.pgha.common.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pgha.common.model.ClusterSpec;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** `pgha config set cluster.…`: the values in effect, and the same refusals a daemon's configuration gets. */
class RuntimeSettingsTest {
    private static final ClusterSpec CONFIGURED =
            ClusterSpec.of(null).withHbaRules(List.of("host all a 10.0.0.0/8 scram-sha-256"));

    @Test
    void theOperatorsSettingsApplyOverTheConfigurationAndOnlyThose() {
        ClusterSpec s = RuntimeSettings.apply(
                CONFIGURED,
                Map.of(
                        "cluster.failTimeout", "5s",
                        "cluster.synchronousMode", "off",
                        "cluster.maximumLagOnFailover", "16MB",
                        "cluster.synchronousStandbys", "2",
                        "proxy.holdTimeout", "30s"));
        assertThat(s.failTimeout()).isEqualTo(Duration.ofSeconds(5));
        assertThat(s.synchronousMode()).isEqualTo(ClusterSpec.SyncMode.OFF);
        assertThat(s.maximumLagOnFailover()).isEqualTo(16_000_000L);
        assertThat(s.holdTimeout()).isEqualTo(Duration.ofSeconds(30));
        assertThat(s.synchronousStrict()).isFalse();
        assertThat(s.synchronousStandbys()).isEqualTo(2);
        assertThat(CONFIGURED.synchronousStandbys()).isEqualTo(1);
        assertThat(RuntimeSettings.valueOf(s, "cluster.synchronousStandbys")).isEqualTo("2");
        assertThat(s.hbaRules()).isEqualTo(CONFIGURED.hbaRules());
        assertThat(RuntimeSettings.apply(CONFIGURED, Map.of())).isEqualTo(CONFIGURED);
        assertThat(RuntimeSettings.valueOf(s, "cluster.failTimeout")).isEqualTo("5s");
        assertThat(RuntimeSettings.valueOf(s, "proxy.holdTimeout")).isEqualTo("30s");
        assertThat(RuntimeSettings.valueOf(CONFIGURED, "proxy.holdTimeout")).isNull();
    }

    /** The same words as at start, from the same readers (ConfigLoader uses them too). */
    @ParameterizedTest
    @CsvSource(delimiter = '|', textBlock = """
            cluster.failTimeout          | 0s    | cluster.failTimeout = "0s" is not valid: expected a duration between 1s and 1h, such as 500ms, 2s or 5m
            cluster.failTimeout          | soon  | cluster.failTimeout = "soon" is not valid: expected a duration between 1s and 1h, such as 500ms, 2s or 5m
            cluster.synchronousMode      | yes   | cluster.synchronousMode = "yes" is not valid: expected on, off or auto
            cluster.synchronousStrict    | maybe | cluster.synchronousStrict = "maybe" is not valid: expected true or false
            cluster.synchronousStandbys  | 0     | cluster.synchronousStandbys = "0" is not valid: expected a number of standbys from 1 to 10
            cluster.maximumLagOnFailover | lots  | cluster.maximumLagOnFailover = "lots" is not valid: expected a size in bytes, such as 1MB or 16MB (0 for none)
            proxy.holdTimeout            | 1h    | proxy.holdTimeout = "1h" is not valid: expected a duration between 0s and 10m, such as 500ms, 2s or 5m
            """)
    void aBadValueIsRefusedNamingTheKey(String key, String value, String message) {
        assertThatThrownBy(() -> RuntimeSettings.apply(CONFIGURED, Map.of(key, value)))
                .isInstanceOf(InvalidConfigException.class)
                .hasMessage(message);
    }

    @Test
    void aSettingThatCannotChangeAtRuntimeIsRefusedListingThoseThatCan() {
        assertThatThrownBy(() -> RuntimeSettings.apply(CONFIGURED, Map.of("cluster.failsafe", "false")))
                .isInstanceOf(InvalidConfigException.class)
                .hasMessage("cluster.failsafe cannot change at runtime (set it in each member's configuration and "
                        + "restart them); the cluster settings that can: cluster.failTimeout, cluster.synchronousMode, "
                        + "cluster.synchronousStrict, cluster.synchronousStandbys, cluster.maximumLagOnFailover, "
                        + "proxy.holdTimeout");
        assertThat(RuntimeSettings.isPghaKey("cluster.failTimeout")).isTrue();
        assertThat(RuntimeSettings.isPghaKey("work_mem")).isFalse();
    }
}
