package dev.pgha.app.daemon;

import dev.pgha.common.PghaException;
import dev.pgha.common.config.EnvOverrides;
import dev.pgha.common.config.PghaConfig;
import dev.pgha.common.fs.PrivateFiles;
import dev.pgha.common.model.MemberInfo;
import dev.pgha.common.secret.Credentials;
import dev.pgha.common.secret.Secret;
import dev.pgha.common.secret.SecretStore;
import dev.pgha.common.store.ClusterStore;
import dev.pgha.common.store.SessionEvent;
import dev.pgha.common.store.StoreException;
import dev.pgha.postgres.PgConnections;
import dev.pgha.store.ZooKeeperAuth;
import dev.pgha.store.ZooKeeperTls;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** This node's own facts: its data directory, its passwords, the address it registers at, and its registration. */
final class NodeSetup {
    private static final Logger log = LoggerFactory.getLogger(NodeSetup.class);

    private NodeSetup() {}

    /** Creates the data directory and its private state directory; refuses one that cannot be written. */
    static void prepareDataDir(PghaConfig config) {
        Path dir = config.dataDir();
        String variable = EnvOverrides.label("dataDir");
        String label = "data directory " + dir + " (" + variable + ")";
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new PghaException(
                    "cannot create " + label + ": " + reason(e) + "; mount a writable volume there or set " + variable);
        }
        for (Path p : List.of(dir, config.stateDir())) {
            String problem;
            try {
                problem = PrivateFiles.untrusted(p, p.equals(dir));
            } catch (IOException e) {
                throw new PghaException("cannot check " + p + ": " + reason(e));
            }
            if (problem != null) {
                throw new PghaException("refusing to use " + label + ": " + problem);
            }
        }
        Path probe = dir.resolve(".pgha-write-test");
        try {
            Files.deleteIfExists(probe);
            Files.createFile(probe);
            Files.delete(probe);
            PrivateFiles.privateDirectory(config.stateDir());
        } catch (IOException e) {
            throw new PghaException(
                    label + " is not writable: " + reason(e) + "; mount a writable volume there or set " + variable);
        }
    }

    private static String reason(IOException e) {
        String cls = e.getClass().getSimpleName().replace("Exception", "");
        return e.getMessage() == null ? cls : cls + " " + e.getMessage();
    }

    /**
     * Members of a multi-node cluster clone each other's data, so they must share the three passwords: they come
     * from the environment (or config file) on every member. A single node generates its own once.
     */
    static Credentials resolveCredentials(PghaConfig config, SecretStore secrets) {
        if (config.store().shared()) {
            List<String> missing = new ArrayList<>();
            String su = EnvOverrides.label("secrets.suPassword");
            String repl = EnvOverrides.label("secrets.replPassword");
            String operator = EnvOverrides.label("secrets.operatorPassword");
            if (config.secrets().suPassword().isEmpty()) {
                missing.add(su);
            }
            if (config.secrets().replPassword().isEmpty()) {
                missing.add(repl);
            }
            if (config.secrets().operatorPassword().isEmpty()) {
                missing.add(operator);
            }
            if (!missing.isEmpty()) {
                throw new PghaException(String.join(", ", missing) + " not set: every member of a multi-node cluster ("
                        + EnvOverrides.label("store.ensemble") + ", " + EnvOverrides.label("store.connect") + " or "
                        + EnvOverrides.label("store.join") + ") needs the same " + su + ", " + repl + " and " + operator
                        + ", as members copy each "
                        + "other's data; set them as secrets of every node");
            }
        }
        return secrets.resolve(config.secrets());
    }

    /**
     * The cluster's store secret. A witness has no passwords of its own: it derives the secret from the members'
     * passwords when it is given them, else it needs PGHA_STORE_SECRET.
     */
    static Secret storeSecret(PghaConfig config, SecretStore secrets, Credentials credentials) {
        Credentials shared = null;
        if (config.store().shared()) {
            shared = credentials != null ? credentials : configuredCredentials(config.secrets());
            if (shared == null && secrets.existingStoreSecret(config.secrets()).isEmpty()) {
                throw new PghaException("a witness needs the cluster's store secret: set "
                        + EnvOverrides.label("secrets.storeSecret") + " (\"storeSecret\" in a member's "
                        + secrets.file() + "), or " + EnvOverrides.label("secrets.suPassword") + ", "
                        + EnvOverrides.label("secrets.replPassword") + " and "
                        + EnvOverrides.label("secrets.operatorPassword") + " as on the members");
            }
        }
        return secrets.storeSecret(config.secrets(), config.clusterName(), shared);
    }

    /** How this node authenticates at the store with {@code storeSecret}, and what its embedded ZooKeeper accepts. */
    static ZooKeeperAuth storeAuth(PghaConfig config, Secret storeSecret) {
        PgConnections.trustCa(config.tls().map(PghaConfig.Tls::caFile).orElse(null));
        ZooKeeperAuth auth = new ZooKeeperAuth(config.clusterName(), storeSecret);
        return config.tls()
                .map(t -> auth.withTls(ZooKeeperTls.prepare(t.certFile(), t.keyFile(), t.caFile(), config.stateDir())))
                .orElse(auth);
    }

    private static Credentials configuredCredentials(PghaConfig.Secrets s) {
        if (s.suPassword().isEmpty()
                || s.replPassword().isEmpty()
                || s.operatorPassword().isEmpty()) {
            return null;
        }
        return new Credentials(
                s.suPassword().get(),
                s.replPassword().get(),
                s.operatorPassword().get(),
                Set.of());
    }

    /** How other members reach this node's postgres. */
    static String advertiseHost(PghaConfig config, Map<String, String> env) {
        if (config.advertiseHost().isPresent()) {
            return config.advertiseHost().get();
        }
        String flyIp = env.get(EnvOverrides.FLY_PRIVATE_IP);
        if (flyIp != null && !flyIp.isBlank()) {
            return flyIp.strip();
        }
        if (config.store().quorum()) {
            return config.store().self().orElseThrow().host(); // the address its ZooKeeper peers reach it at
        }
        if (config.store().embedded()) {
            return "127.0.0.1"; // a standalone node: only its own proxy connects to its postgres
        }
        try {
            return InetAddress.getLocalHost().getHostAddress();
        } catch (IOException e) {
            throw new PghaException("cannot find this host's address (" + e.getMessage() + "): set "
                    + EnvOverrides.label("advertiseHost") + " to the address other members reach it at");
        }
    }

    /** The host name a generated member id starts with. */
    static String hostname(Map<String, String> env) {
        String h = env.get(EnvOverrides.HOSTNAME);
        if (h != null && !h.isBlank()) {
            return h;
        }
        try {
            return Files.readString(Path.of("/etc/hostname")).strip();
        } catch (IOException e) {
            return "";
        }
    }

    /**
     * Registers this member, and registers it again whenever it comes back on a new session after the elected
     * sentinel removed its registration (cluster.deadMemberRemovalInterval; a partition, a paused VM), so the leader
     * keeps a replication slot for it and the sentinel counts it.
     */
    static void register(
            ClusterStore store, PghaConfig config, String memberId, Map<String, String> env, int storeServer) {
        MemberInfo registration = new MemberInfo(
                memberId,
                config.region().orElse(null),
                advertiseHost(config, env),
                config.postgres().port(),
                config.proxy().port(),
                config.httpPort(),
                Instant.now(),
                storeServer);
        store.register(registration);
        store.onSession(event -> {
            if (event != SessionEvent.RECONNECTED) {
                return;
            }
            try {
                if (store.snapshot().member(memberId).isEmpty()
                        && !store.removed().contains(memberId)) {
                    store.register(registration);
                    log.info("registered again: this member's registration had been removed while it was gone");
                }
            } catch (StoreException e) {
                log.warn("cannot check this member's registration: {}", e.getMessage());
            }
        });
    }
}
