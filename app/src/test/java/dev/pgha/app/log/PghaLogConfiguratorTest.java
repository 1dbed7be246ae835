package dev.pgha.app.log;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.util.LogbackMDCAdapter;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;

/** What the daemon and the commands print, configured as they are (this JVM's own logging is logback-test.xml's). */
class PghaLogConfiguratorTest {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();
    private PrintStream stdout;
    private PrintStream stderr;
    private final LoggerContext context = new LoggerContext();

    @BeforeEach
    void captureStreams() {
        context.setMDCAdapter(new LogbackMDCAdapter()); // as Logback's SLF4J provider sets it for its own context
        stdout = System.out;
        stderr = System.err;
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    @AfterEach
    void restore() {
        context.stop();
        System.setOut(stdout);
        System.setErr(stderr);
        System.clearProperty("pgha.log.target");
        System.clearProperty("PGHA_LOG_FORMAT");
        System.clearProperty("PGHA_LOG_LEVEL");
        System.clearProperty("PGHA_ZK_LOG_LEVEL");
    }

    private String printed() {
        return out.toString(StandardCharsets.UTF_8);
    }

    @Test
    void daemonLinesGoToStdoutWithTheComponentAndLibrariesOnlyWhenItMatters() {
        PghaLogConfigurator.apply(context);
        Logger keeper = context.getLogger("dev.pgha.keeper.Keeper");
        keeper.info("postgres is ready");
        keeper.debug("a detail");
        context.getLogger("org.apache.zookeeper.ClientCnxn").info("Opening socket connection");
        context.getLogger("org.apache.zookeeper.server.ZooKeeperServer").error("a store failure");
        context.getLogger("org.apache.curator.framework.imps.CuratorFrameworkImpl")
                .error("background retry");
        context.getLogger("org.postgresql.Driver").info("connecting");

        assertThat(printed().lines())
                .hasSize(2)
                .anySatisfy(l -> assertThat(l).matches("\\S+Z INFO  \\[keeper\\] postgres is ready"))
                .anySatisfy(l -> assertThat(l).endsWith("ERROR [zookeeper] a store failure"));
        assertThat(err.size()).isZero();
        // the JDBC driver logs through java.util.logging: its level follows, so its checks stay cheap
        assertThat(java.util.logging.Logger.getLogger("org.postgresql").getLevel())
                .isEqualTo(java.util.logging.Level.WARNING);
    }

    @Test
    void commandsLogToStderrAndTheOperatorChoosesFormatAndLevels() {
        System.setProperty("pgha.log.target", "System.err");
        System.setProperty("PGHA_LOG_FORMAT", "json");
        System.setProperty("PGHA_LOG_LEVEL", "debug");
        System.setProperty("PGHA_ZK_LOG_LEVEL", "info");
        PghaLogConfigurator.apply(context);
        context.getLogger("dev.pgha.keeper.Keeper").debug("a detail");
        context.getLogger("org.apache.zookeeper.ClientCnxn").info("Opening socket connection");

        assertThat(printed()).isEmpty();
        assertThat(err.toString(StandardCharsets.UTF_8).lines())
                .hasSize(2)
                .allSatisfy(l -> assertThat(l).startsWith("{\"time\":"))
                .anySatisfy(l -> assertThat(l).contains("\"level\":\"DEBUG\",\"component\":\"keeper\""))
                .anySatisfy(l -> assertThat(l).contains("\"component\":\"zookeeper\",\"message\":\"Opening"));
    }

    @Test
    void aLevelThatIsNoLevelKeepsTheDefault() {
        System.setProperty("PGHA_LOG_LEVEL", "verbose");
        PghaLogConfigurator.apply(context);
        Logger keeper = context.getLogger("dev.pgha.keeper.Keeper");
        keeper.debug("a detail");
        keeper.info("an event");
        assertThat(printed().lines()).singleElement().asString().endsWith("[keeper] an event");
    }
}
