package dev.pgha.app.cli;

import dev.pgha.common.PghaException;
import dev.pgha.common.config.ConfigLoader;
import dev.pgha.common.config.PghaConfig;
import dev.pgha.common.config.ZkPeer;
import dev.pgha.common.model.ClusterView;
import dev.pgha.common.model.MemberInfo;
import dev.pgha.common.model.Phase;
import dev.pgha.common.secret.Secret;
import dev.pgha.common.secret.SecretStore;
import dev.pgha.common.store.ClusterStore;
import dev.pgha.common.store.Versioned;
import dev.pgha.postgres.PgConnections;
import dev.pgha.store.ZooKeeperStore;
import java.io.Closeable;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * What an admin command works with: the node's configuration, the cluster's store, and SQL connections to the
 * leader (as pgha's superuser). Opened per command, closed when it ends.
 */
public final class Admin implements Closeable {
    private static final Duration STORE_TIMEOUT = Duration.ofSeconds(10);
    private static final Duration SQL_TIMEOUT = Duration.ofSeconds(10);

    private final PghaConfig config;
    private final String connect;
    private ClusterStore store;

    private Admin(PghaConfig config, String connect) {
        this.config = config;
        this.connect = connect;
    }

    public static Admin open(AdminOptions options, Map<String, String> env) {
        PghaConfig config = ConfigLoader.load(Optional.ofNullable(options.config), env);
        String connect = options.store != null ? options.store : connectString(config);
        return new Admin(config, connect);
    }

    /** The store this node uses: external, its ensemble's client ports, or the embedded standalone server. */
    static String connectString(PghaConfig config) {
        if (config.store().connect().isPresent()) {
            return config.store().connect().get();
        }
        if (config.store().quorum()) {
            return config.store().ensemble().stream().map(ZkPeer::clientAddress).collect(Collectors.joining(","));
        }
        return config.store().embeddedHost() + ":" + config.store().embeddedPort();
    }

    public PghaConfig config() {
        return config;
    }

    public ClusterStore store() {
        if (store == null) {
            store = ZooKeeperStore.connect(
                    connect,
                    config.clusterName(),
                    config.store().sessionTimeout(),
                    STORE_TIMEOUT,
                    "the cluster store at " + connect + " (is pgha running there? --store names another)");
        }
        return store;
    }

    public ClusterView view() {
        return store().view()
                .map(Versioned::value)
                .orElseThrow(() -> new PghaException("cluster "
                        + config.clusterName() + " has no state in the store at " + connect
                        + " yet: is it the right store "
                        + "(--store) and cluster name (FLY_APP_NAME)?"));
    }

    /** The leader's registration; refuses when the cluster has no serving leader. */
    public MemberInfo leader() {
        ClusterView view = view();
        if (view.leader() == null || view.phase() != Phase.NORMAL) {
            throw new PghaException("the cluster has no serving leader right now (phase " + view.phase()
                    + (view.reason() == null ? "" : ": " + view.explanation()) + "); try again once it has one");
        }
        return store().snapshot()
                .member(view.leader())
                .orElseThrow(() -> new PghaException("leader " + view.leader() + " has no registration in the store"));
    }

    /** A connection to {@code database} on the leader, as pgha's superuser. */
    public Connection leaderConnection(String database) {
        MemberInfo leader = leader();
        return connection(leader.host(), leader.pgPort(), database, "leader " + leader.id());
    }

    public Connection connection(String host, int port, String database, String what) {
        Secret password = new SecretStore(config.stateDir())
                .existingSuPassword(config.secrets())
                .orElseThrow(() -> new PghaException("pgha's superuser password is not known here: set SU_PASSWORD, "
                        + "or run this on a node as root, where "
                        + config.stateDir().resolve(SecretStore.FILE_NAME)
                        + " is readable"));
        try {
            Connection c = PgConnections.open(host, port, database, password, SQL_TIMEOUT, SQL_TIMEOUT, "pgha-admin");
            return c;
        } catch (SQLException e) {
            throw new PghaException("cannot connect to " + what + " at " + host + ":" + port + " (database " + database
                    + "): " + e.getMessage());
        }
    }

    @Override
    public void close() {
        if (store != null) {
            store.close();
        }
    }
}
