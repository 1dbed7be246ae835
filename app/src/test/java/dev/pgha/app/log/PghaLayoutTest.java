package dev.pgha.app.log;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.LoggingEvent;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class PghaLayoutTest {
    private final LoggerContext context = new LoggerContext();

    private LoggingEvent event(String logger, String message, Throwable t) {
        LoggingEvent e = new LoggingEvent("x", context.getLogger(logger), Level.WARN, message, t, null);
        e.setTimeStamp(1_700_000_000_123L);
        return e;
    }

    @Test
    void textIsOneLineWithTheComponentAndTheExceptionSummarised() {
        PghaLayout layout = new PghaLayout();
        layout.setFormat("text");
        String line = layout.doLayout(event(
                "dev.pgha.keeper.Keeper",
                "postgres \"exited\"",
                new IllegalStateException("boom\nsecond line", new IOException("disk"))));
        assertThat(line)
                .isEqualTo("2023-11-14T22:13:20.123Z WARN  [keeper] postgres \"exited\" "
                        + "(IllegalStateException: boom second line; caused by IOException: disk)\n");
    }

    @Test
    void jsonHasTheSameFieldsAndEscapesTheMessage() throws Exception {
        PghaLayout layout = new PghaLayout();
        layout.setFormat("json");
        String line = layout.doLayout(event("postgres", "a \"quoted\"\nmessage", null));
        assertThat(line).endsWith("}\n").doesNotContain("\nmessage");
        JsonNode n = new ObjectMapper().readTree(line);
        assertThat(n.get("time").asText()).isEqualTo("2023-11-14T22:13:20.123Z");
        assertThat(n.get("level").asText()).isEqualTo("WARN");
        assertThat(n.get("component").asText()).isEqualTo("postgres");
        assertThat(n.get("message").asText()).isEqualTo("a \"quoted\"\nmessage");
        assertThat(n.has("error")).isFalse();
    }

    @ParameterizedTest
    @CsvSource({
        "dev.pgha.keeper.Keeper, keeper",
        "dev.pgha.sentinel.Sentinel, sentinel",
        "dev.pgha.proxy.ProxyServer, proxy",
        "dev.pgha.store.ZooKeeperStore, store",
        "dev.pgha.store.ZooKeeperSessionLease, store",
        "dev.pgha.store.ZooKeeperPeer, zookeeper",
        "org.apache.zookeeper.server.ZooKeeperServer, zookeeper",
        "postgres, postgres",
        "dev.pgha.app.health.HealthApi, check",
        "dev.pgha.net.HttpService, http",
        "dev.pgha.app.daemon.Supervisor, pgha",
        "dev.pgha.keeper.LocalPostgres, keeper",
        "org.postgresql.Driver, keeper"
    })
    void componentsFollowTheLoggerName(String logger, String component) {
        assertThat(Components.of(logger)).isEqualTo(component);
    }
}
