package dev.pgha.store;

import dev.pgha.common.fs.PrivateFiles;
import java.io.Closeable;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.zookeeper.server.ServerCnxnFactory;
import org.apache.zookeeper.server.ZooKeeperServer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The standalone ZooKeeper server a single node of an older pgha ran (its data is what a one-voter ensemble takes
 * over); tests use it to make such data.
 */
public final class EmbeddedZooKeeper implements Closeable {
    private final AtomicBoolean closed = new AtomicBoolean();
    private static final Logger log = LoggerFactory.getLogger(EmbeddedZooKeeper.class);

    /** Enough for the daemon, the CLI and tests; one misbehaving client cannot exhaust the server. */
    private static final int MAX_CONNECTIONS_PER_ADDRESS = 200;

    private final ZooKeeperServer server;
    private final ServerCnxnFactory factory;
    private final String connectString;

    private EmbeddedZooKeeper(ZooKeeperServer server, ServerCnxnFactory factory, String connectString) {
        this.server = server;
        this.factory = factory;
        this.connectString = connectString;
    }

    /**
     * Starts a server keeping its data in {@code dir}; it accepts only clients that authenticate as {@code auth}'s
     * identity.
     *
     * @throws java.net.BindException when the port is taken
     */
    public static EmbeddedZooKeeper start(Path dir, String host, int port, Duration tickTime, ZooKeeperAuth auth)
            throws IOException, InterruptedException {
        PrivateFiles.privateDirectory(dir);
        auth.configureServers();
        ZooKeeperServer server = new ZooKeeperServer(dir.toFile(), dir.toFile(), (int) tickTime.toMillis());
        ServerCnxnFactory factory = ServerCnxnFactory.createFactory();
        // with TLS the one client port speaks TLS only (Netty); without, plain TCP
        factory.configure(new InetSocketAddress(host, port), MAX_CONNECTIONS_PER_ADDRESS, -1, auth.secure());
        try {
            factory.startup(server);
        } catch (IOException | InterruptedException | RuntimeException e) {
            factory.shutdown();
            server.shutdown();
            throw e;
        }
        String connect = (host.contains(":") ? "[" + host + "]" : host) + ":" + factory.getLocalPort();
        log.info(
                "embedded ZooKeeper listening on {}{} (tick {} ms, data {})",
                connect,
                auth.secure() ? " with TLS" : "",
                tickTime.toMillis(),
                dir);
        return new EmbeddedZooKeeper(server, factory, connect);
    }

    public String connectString() {
        return connectString;
    }

    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return; // closed already
        }
        factory.shutdown();
        server.shutdown();
        try {
            server.getTxnLogFactory().close();
        } catch (IOException | RuntimeException e) {
            log.warn("closing ZooKeeper's transaction log failed: {}", e.toString());
        }
        log.info("embedded ZooKeeper stopped");
    }
}
