package dev.pgha.store;

import dev.pgha.common.PghaException;
import dev.pgha.common.config.Durations;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.ExponentialBackoffRetry;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.Watcher;
import org.apache.zookeeper.server.auth.SASLAuthenticationProvider;

/**
 * Opening the store's Curator client: the first connection awaited in short steps (a refused login recognised as
 * such, with the fix in the error), then the cluster's data secured for pgha's user ({@link AclMigration}).
 */
final class StoreConnection {
    private static final String SASL_PROVIDER = SASLAuthenticationProvider.class.getName();

    private StoreConnection() {}

    /**
     * A started client, connected; null when {@code abandon} said to give up while waiting.
     *
     * @param what         how to name the store in an error, e.g. "ZooKeeper at zk1:2181 (PGHA_ZK_CONNECT)"
     * @param abandon      polled while waiting: true gives up (the daemon is stopping)
     * @param stillWaiting null: fail after {@code connectTimeout}; else called every {@code connectTimeout} and
     *                     the wait goes on
     */
    static CuratorFramework open(
            String connectString,
            StorePaths paths,
            ZooKeeperAuth auth,
            Duration sessionTimeout,
            Duration connectTimeout,
            String what,
            BooleanSupplier abandon,
            Runnable stillWaiting) {
        int sessionMs = (int) sessionTimeout.toMillis();
        CuratorFramework client = CuratorFrameworkFactory.builder()
                .connectString(connectString)
                .sessionTimeoutMs(sessionMs)
                // An operation waits at most one session timeout for a connection; loops retry on their next tick.
                .connectionTimeoutMs(sessionMs)
                .retryPolicy(new ExponentialBackoffRetry(100, 3, 1000))
                .zkClientConfig(auth.clientConfig())
                .aclProvider(auth.aclProvider(paths.root()))
                .build();
        AtomicBoolean refused = new AtomicBoolean();
        client.getCuratorListenable().addListener((c, event) -> {
            if (event.getWatchedEvent() != null
                    && event.getWatchedEvent().getState() == Watcher.Event.KeeperState.AuthFailed) {
                refused.set(true);
            }
        });
        client.start();
        long stepMs = 250;
        long waited = 0;
        try {
            while (!client.blockUntilConnected((int) stepMs, TimeUnit.MILLISECONDS)) {
                waited += stepMs;
                if (refused.get()) {
                    client.close();
                    throw refusedCredentials(what, auth);
                }
                if (abandon.getAsBoolean()) {
                    client.close();
                    return null;
                }
                if (waited >= connectTimeout.toMillis()) {
                    if (stillWaiting == null) {
                        client.close();
                        throw new PghaException("cannot reach " + what + " within " + Durations.format(connectTimeout)
                                + ": check that it runs and the address is right");
                    }
                    stillWaiting.run();
                    waited = 0;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            client.close();
            throw new PghaException("interrupted while connecting to " + what);
        }
        try {
            AclMigration.run(client, paths.root(), auth);
        } catch (IllegalStateException e) {
            client.close();
            // the session can be up before the login is refused: the refusal may show here first
            throw refused.get() || refusedLogin(e)
                    ? refusedCredentials(what, auth)
                    : new PghaException("cannot secure the cluster's data in " + what + ": " + e.getMessage());
        }
        return client;
    }

    private static boolean refusedLogin(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof KeeperException.AuthFailedException
                    || t instanceof KeeperException.SessionClosedRequireAuthException
                    || t instanceof KeeperException.NoAuthException) {
                return true;
            }
        }
        return false;
    }

    private static PghaException refusedCredentials(String what, ZooKeeperAuth auth) {
        return new PghaException(what + " refused pgha's credentials (SASL DIGEST-MD5 as user " + auth.user()
                + "): every member, and every admin command, must use the cluster's store secret ("
                + "PGHA_STORE_SECRET, or \"storeSecret\" in an existing member's $PGHA_DATA_DIR/pgha/secrets); an "
                + "external ZooKeeper must list that user in its JAAS Server section (user_" + auth.user()
                + "=\"<secret>\") and load authProvider.sasl=" + SASL_PROVIDER);
    }
}
