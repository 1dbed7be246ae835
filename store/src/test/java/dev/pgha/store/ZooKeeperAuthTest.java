package dev.pgha.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pgha.common.secret.Secret;
import org.apache.zookeeper.client.ZKClientConfig;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The store client's configuration: SASL as the cluster's identity, and what an operator sets for ZooKeeper's client
 * as system properties (PGHA_JAVA_OPTS=-Djute.maxbuffer=…) still applies, although pgha builds it without ZooKeeper's
 * X509Util.
 */
class ZooKeeperAuthTest {
    @AfterEach
    void clear() {
        System.clearProperty("jute.maxbuffer");
        System.clearProperty("zookeeper.sasl.client.canonicalize.hostname");
    }

    @Test
    void theClientAuthenticatesWithSaslAndKeepsTheOperatorsSystemProperties() {
        System.setProperty("jute.maxbuffer", "4194304");
        System.setProperty("zookeeper.sasl.client.canonicalize.hostname", "false");
        ZKClientConfig config = new ZooKeeperAuth("c1", Secret.of("s3cret")).clientConfig();
        assertThat(config.getProperty(ZKClientConfig.ENABLE_CLIENT_SASL_KEY)).isEqualTo("true");
        assertThat(config.getProperty(ZKClientConfig.LOGIN_CONTEXT_NAME_KEY)).startsWith("pgha-client-");
        assertThat(config.getInt(ZKClientConfig.JUTE_MAXBUFFER, 0)).isEqualTo(4194304);
        assertThat(config.getProperty(ZKClientConfig.ZK_SASL_CLIENT_CANONICALIZE_HOSTNAME))
                .isEqualTo("false");
        assertThat(config.isSaslClientEnabled()).isTrue();
    }
}
