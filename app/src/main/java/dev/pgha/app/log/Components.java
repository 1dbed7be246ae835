package dev.pgha.app.log;

/**
 * The pgha component a log line belongs to ([keeper], [sentinel], [proxy], [store], [zookeeper], [postgres],
 * [check], [http], [callback], [pgha]), derived from the logger name so classes keep ordinary loggers.
 */
public final class Components {
    private Components() {}

    public static String of(String logger) {
        if (logger.equals("postgres") || logger.equals("callback")) {
            return logger;
        }
        if (logger.startsWith("dev.pgha.store.EnsembleJoin")
                || logger.startsWith("dev.pgha.store.ZooKeeperPeer")
                || logger.startsWith("org.apache.zookeeper")) {
            return "zookeeper";
        }
        if (logger.startsWith("dev.pgha.store.") || logger.startsWith("org.apache.curator")) {
            return "store";
        }
        if (logger.startsWith("dev.pgha.common.health") || logger.startsWith("dev.pgha.app.health")) {
            return "check";
        }
        if (logger.startsWith("dev.pgha.net.")) {
            return "http";
        }
        for (String component : new String[] {"keeper", "sentinel", "proxy"}) {
            if (logger.startsWith("dev.pgha." + component + ".")) {
                return component;
            }
        }
        if (logger.startsWith("io.netty")) {
            return "proxy";
        }
        if (logger.startsWith("org.postgresql") || logger.startsWith("dev.pgha.postgres.")) {
            return "keeper";
        }
        return "pgha";
    }
}
