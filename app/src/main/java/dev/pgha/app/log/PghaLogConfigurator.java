package dev.pgha.app.log;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.jul.LevelChangePropagator;
import ch.qos.logback.classic.spi.Configurator;
import ch.qos.logback.classic.spi.ConfiguratorRank;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.encoder.LayoutWrappingEncoder;
import ch.qos.logback.core.spi.ContextAwareBase;
import ch.qos.logback.core.status.NopStatusListener;
import java.nio.charset.StandardCharsets;
import org.slf4j.Logger;

/**
 * pgha's logging, set up in code (found by Logback as a service): one line per event, prefixed by the component
 * ({@link PghaLayout}), on stdout for the daemon, its one stream, and on stderr for every other command, whose stdout
 * stays its own (Main sets {@code pgha.log.target}). Code rather than a logback.xml: parsing the XML loaded about 420
 * classes (Joran's model, the JDK's XML parser) and took about 30 ms of every start and of every command that logs.
 *
 * <p>A configuration of the operator's ({@code -Dlogback.configurationFile}) or the tests' (logback-test.xml) is
 * left to Logback. Levels: PGHA_LOG_LEVEL (default INFO) for pgha, PGHA_ZK_LOG_LEVEL for ZooKeeper and Curator, read
 * as a system property, then from the environment, as Logback's {@code ${NAME:-default}} did.
 */
@ConfiguratorRank(ConfiguratorRank.CUSTOM_NORMAL_PRIORITY)
public final class PghaLogConfigurator extends ContextAwareBase implements Configurator {

    @Override
    public ExecutionStatus configure(LoggerContext context) {
        if (System.getProperty("logback.configurationFile") != null
                || PghaLogConfigurator.class.getClassLoader().getResource("logback-test.xml") != null) {
            return ExecutionStatus.INVOKE_NEXT_IF_ANY;
        }
        apply(context);
        return ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY;
    }

    /** pgha's configuration, from the settings as they are now. */
    static void apply(LoggerContext context) {
        context.getStatusManager().add(new NopStatusListener());
        // java.util.logging (the PostgreSQL JDBC driver) is routed here; this keeps its level checks cheap. First, so
        // that the levels below reach it.
        LevelChangePropagator propagator = new LevelChangePropagator();
        propagator.setContext(context);
        propagator.setResetJUL(true);
        propagator.start();
        context.addListener(propagator);

        PghaLayout layout = new PghaLayout();
        layout.setContext(context);
        layout.setFormat(setting("PGHA_LOG_FORMAT", "text"));
        layout.start();
        LayoutWrappingEncoder<ILoggingEvent> encoder = new LayoutWrappingEncoder<>();
        encoder.setContext(context);
        encoder.setCharset(StandardCharsets.UTF_8);
        encoder.setLayout(layout);
        encoder.start();
        ConsoleAppender<ILoggingEvent> console = new ConsoleAppender<>();
        console.setContext(context);
        console.setName("CONSOLE");
        console.setTarget(setting("pgha.log.target", "System.out"));
        console.setEncoder(encoder);
        console.start();

        String zookeeper = setting("PGHA_ZK_LOG_LEVEL", null);
        // ZooKeeper and Curator narrate every connection at INFO; pgha logs what matters itself.
        level(context, "org.apache.zookeeper", zookeeper, Level.ERROR);
        level(context, "org.apache.curator", zookeeper, Level.ERROR);
        // Curator reports every failed background operation at ERROR; pgha reports store trouble itself, once.
        level(context, "org.apache.curator.framework.imps.CuratorFrameworkImpl", zookeeper, Level.OFF);
        // The ensemble's leader reports every learner that leaves at ERROR (a member removed, a node stopped or
        // killed): routine for pgha, which reports members' comings and goings itself.
        level(context, "org.apache.zookeeper.server.quorum.LearnerHandler", zookeeper, Level.OFF);
        level(context, "io.netty", null, Level.WARN);
        level(context, "org.postgresql", null, Level.WARN);
        ch.qos.logback.classic.Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
        root.setLevel(Level.toLevel(setting("PGHA_LOG_LEVEL", "INFO"), Level.INFO));
        root.addAppender(console);
    }

    private static void level(LoggerContext context, String logger, String value, Level otherwise) {
        context.getLogger(logger).setLevel(value == null ? otherwise : Level.toLevel(value, otherwise));
    }

    /** A system property, else the environment variable of that name, else {@code otherwise} (which may be null). */
    private static String setting(String name, String otherwise) {
        String value = System.getProperty(name, System.getenv(name));
        return value == null || value.isBlank() ? otherwise : value;
    }
}
