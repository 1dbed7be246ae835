package dev.pgha.app.cli;

import dev.pgha.common.PghaException;
import dev.pgha.common.config.ConfigLoader;
import dev.pgha.common.config.EnvOverrides;
import dev.pgha.common.config.PghaConfig;
import dev.pgha.common.config.ZkPeer;
import dev.pgha.common.fs.PrivateFiles;
import dev.pgha.common.model.ClusterView;
import dev.pgha.common.model.MemberInfo;
import dev.pgha.common.model.Phase;
import dev.pgha.common.model.Role;
import dev.pgha.common.secret.Secret;
import dev.pgha.common.secret.SecretStore;
import dev.pgha.common.store.ClusterSnapshot;
import dev.pgha.common.store.ClusterStore;
import dev.pgha.common.store.Versioned;
import dev.pgha.postgres.PgConnections;
import dev.pgha.store.ZooKeeperAuth;
import dev.pgha.store.ZooKeeperStore;
import dev.pgha.store.ZooKeeperTls;
import java.io.Closeable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
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

    private static final long MAX_SECRET_FILE_BYTES = 4096;

    private final PghaConfig config;
    private final String connect;
    private final Path storeSecretFile;
    private final boolean local; // this node's own store, as its configuration names it (no --store, no secret file)
    private ClusterStore store;
    private boolean storeOwned = true; // false: the daemon's own store, which outlives this
    private Path tlsDir; // the TLS key store of this command, deleted when it ends

    private Admin(PghaConfig config, String connect, Path storeSecretFile, boolean local) {
        this.config = config;
        this.connect = connect;
        this.storeSecretFile = storeSecretFile;
        this.local = local;
    }

    /** Within the daemon (the operations API): its configuration and its open store, which close() leaves open. */
    public static Admin attached(PghaConfig config, ClusterStore store) {
        Admin a = new Admin(config, connectString(config, Map.of()), null, false);
        a.store = store;
        a.storeOwned = false;
        return a;
    }

    public static Admin open(AdminOptions options, Map<String, String> env) {
        PghaConfig config = ConfigLoader.load(Optional.ofNullable(options.config), env);
        String connect = options.store != null ? options.store : connectString(config, env);
        PgConnections.trustCa(config.tls().map(PghaConfig.Tls::caFile).orElse(null));
        return new Admin(
                config, connect, options.storeSecretFile, options.store == null && options.storeSecretFile == null);
    }

    /** The cluster's identity, over TLS when the node's configuration has certificates. */
    private ZooKeeperAuth storeAuth() {
        ZooKeeperAuth auth = new ZooKeeperAuth(config.clusterName(), storeSecret());
        if (config.tls().isEmpty()) {
            return auth;
        }
        PghaConfig.Tls t = config.tls().get();
        try {
            tlsDir = Files.createTempDirectory("pgha-tls");
            PrivateFiles.privateDirectory(tlsDir);
        } catch (IOException e) {
            throw new PghaException("cannot create a private directory for ZooKeeper's TLS key store: " + e);
        }
        return auth.withTls(ZooKeeperTls.prepare(t.certFile(), t.keyFile(), t.caFile(), tlsDir));
    }

    /** --store-secret-file, else PGHA_STORE_SECRET, else this node's stored secret. */
    private Secret storeSecret() {
        if (storeSecretFile != null) {
            return readSecretFile(storeSecretFile);
        }
        return new SecretStore(config.stateDir())
                .existingStoreSecret(config.secrets())
                .orElseThrow(() -> new PghaException("the cluster's store secret is not known here: set "
                        + EnvOverrides.label("secrets.storeSecret") + ", pass --store-secret-file FILE, or run this on "
                        + "a node as root, where " + config.stateDir().resolve(SecretStore.FILE_NAME)
                        + " is readable"));
    }

    /** The file's content is never quoted in an error: it is a secret, or something that was mistaken for one. */
    private static Secret readSecretFile(Path file) {
        try {
            if (!Files.isRegularFile(file) || Files.size(file) > MAX_SECRET_FILE_BYTES) {
                throw new PghaException("--store-secret-file " + file + " is not a file of at most "
                        + MAX_SECRET_FILE_BYTES + " bytes");
            }
            String value = Files.readString(file, StandardCharsets.UTF_8).strip();
            if (value.isEmpty() || value.chars().anyMatch(ch -> ch < 0x20)) {
                throw new PghaException(
                        "--store-secret-file " + file + " must hold the store secret on one line, and nothing else");
            }
            return Secret.of(value);
        } catch (IOException | UncheckedIOException e) {
            throw new PghaException("cannot read --store-secret-file " + file + ": "
                    + e.getClass().getSimpleName());
        }
    }

    /** The store this node uses: external, its ensemble's client ports, or its own embedded server. */
    static String connectString(PghaConfig config, Map<String, String> env) {
        if (config.store().connect().isPresent()) {
            return config.store().connect().get();
        }
        if (config.store().quorum()) {
            return config.store().ensemble().stream().map(ZkPeer::clientAddress).collect(Collectors.joining(","));
        }
        return ZkPeer.bracket(config.embeddedStoreHost(env)) + ":"
                + config.store().embeddedPort();
    }

    /**
     * The key that signs the local daemon's status ({@link StatusWire}); empty when this command targets another
     * store (--store, --store-secret-file) or does not know the store secret (then the store path says why).
     */
    Optional<byte[]> localStatusKey() {
        if (!local) {
            return Optional.empty();
        }
        try {
            return Optional.of(StatusWire.key(storeSecret(), config.clusterName()));
        } catch (PghaException e) {
            return Optional.empty();
        }
    }

    public PghaConfig config() {
        return config;
    }

    public ClusterStore store() {
        if (store == null) {
            store = connectStore(
                    STORE_TIMEOUT,
                    "the cluster store at " + connect + " (is pgha running there? --store names another)");
        }
        return store;
    }

    private ClusterStore connectStore(Duration timeout, String description) {
        return ZooKeeperStore.connect(
                connect, config.clusterName(), storeAuth(), config.store().sessionTimeout(), timeout, description);
    }

    /**
     * Connects to the store and reads the view once, if this command has not: only for the class-data archive's
     * sake ({@link AdminCommand#CDS_TRAINING}), bounded by 2 s, and silent when it fails.
     */
    void loadStoreClasses() {
        if (store != null) {
            return;
        }
        try (ClusterStore s = connectStore(Duration.ofSeconds(2), "the cluster store at " + connect)) {
            s.view();
        } catch (RuntimeException e) {
            // unreachable, or the secret unknown here: the archive lacks those classes, nothing else changes
        }
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

    /** A standby streaming from the leader (healthy, in recovery); refuses when there is none. */
    public MemberInfo replica() {
        ClusterSnapshot s = store().snapshot();
        return s.view().standbys().stream()
                .filter(id -> s.keeper(id)
                        .map(k -> k.pgUp() && k.role() == Role.STANDBY && k.healthy())
                        .orElse(false))
                .map(s::member)
                .flatMap(Optional::stream)
                .findFirst()
                .orElseThrow(() -> new PghaException(
                        "no replica is streaming from the leader right now (`pgha status` shows the members)"));
    }

    /** The operator's password (role postgres): OPERATOR_PASSWORD, else this node's stored one. */
    public Secret operatorPassword() {
        return new SecretStore(config.stateDir())
                .existingOperatorPassword(config.secrets())
                .orElseThrow(() -> new PghaException("the operator's password is not known here: set "
                        + "OPERATOR_PASSWORD, or run this on a node as root, where "
                        + config.stateDir().resolve(SecretStore.FILE_NAME) + " is readable"));
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
        if (store != null && storeOwned) {
            store.close();
        }
        if (tlsDir != null) {
            try (var files = Files.list(tlsDir)) {
                for (Path f : files.toList()) {
                    Files.deleteIfExists(f);
                }
                Files.deleteIfExists(tlsDir);
            } catch (IOException e) {
                // a private temporary directory; the OS cleans /tmp
            }
        }
    }
}
