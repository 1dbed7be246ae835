package dev.pgha.common.log;

import ch.qos.logback.classic.pattern.ClassicConverter;
import ch.qos.logback.classic.spi.ILoggingEvent;

/**
 * Logback converter {@code %component}: the pgha component a log line belongs to ([keeper], [sentinel], [proxy],
 * [zookeeper], [postgres], [store], [pgha]), derived from the logger name so classes keep ordinary loggers.
 */
public final class ComponentConverter extends ClassicConverter {
    @Override
    public String convert(ILoggingEvent event) {
        return componentOf(event.getLoggerName());
    }

    public static String componentOf(String logger) {
        if (logger.equals("postgres")) {
            return "postgres";
        }
        if (logger.startsWith("dev.pgha.common.store.EmbeddedZooKeeper")
                || logger.startsWith("dev.pgha.common.store.ZooKeeperPeer") || logger.startsWith("org.apache.zookeeper")) {
            return "zookeeper";
        }
        if (logger.startsWith("dev.pgha.common.store") || logger.startsWith("org.apache.curator")) {
            return "store";
        }
        for (String component : new String[] {"keeper", "sentinel", "proxy"}) {
            if (logger.startsWith("dev.pgha." + component + ".")) {
                return component;
            }
        }
        if (logger.startsWith("io.netty")) {
            return "proxy";
        }
        if (logger.startsWith("org.postgresql")) {
            return "keeper";
        }
        return "pgha";
    }
}
