package dev.pgha.common.config;

import dev.pgha.common.backup.BackupRepository;
import dev.pgha.common.backup.RecoveryTarget;
import dev.pgha.common.backup.ScheduledBackup;
import dev.pgha.common.model.MemberTags;
import dev.pgha.common.secret.Secret;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The validated configuration of one pgha daemon. Built only by {@link ConfigLoader}, so every instance has passed
 * validation; components take the part they need.
 */
public record PghaConfig(
        String clusterName,
        Optional<String> nodeId,
        Optional<String> region,
        Optional<String> primaryRegion,
        MemberTags tags,
        Path dataDir,
        Optional<String> advertiseHost,
        Postgres postgres,
        Proxy proxy,
        int httpPort,
        int metricsPort,
        Health health,
        Lifecycle lifecycle,
        String logFormat,
        Store store,
        Duration keeperHeartbeat,
        Duration sentinelInterval,
        Cluster cluster,
        Secrets secrets,
        Optional<Tls> tls,
        Backup backup) {

    /**
     * Thresholds of the health checks (/flycheck/vm, /flycheck/pg).
     *
     * @param checkTimeout           each check gives up (and fails) after this long
     * @param diskMinFreePercent     the data volume needs at least this much free space
     * @param maxLoadPerCore         the 1-minute load average may reach this many times the cores
     * @param maxPressurePercent     tasks may wait for cpu, memory or io this share of the last 10 s
     * @param maxReplicationLag      a standby may replay this far behind the leader (time)
     * @param maxReplicationLagBytes ... or this far (WAL bytes)
     */
    public record Health(
            Duration checkTimeout,
            int diskMinFreePercent,
            int maxLoadPerCore,
            int maxPressurePercent,
            Duration maxReplicationLag,
            long maxReplicationLagBytes) {}

    /**
     * Stopping and idling.
     *
     * @param stopTimeout  everything stops within this long of SIGTERM (the platform's kill timeout)
     * @param scaleToZero  a single-node cluster idle this long stops itself; zero = never
     */
    public record Lifecycle(Duration stopTimeout, Duration scaleToZero) {}

    /** Settings of the local postgres. */
    public record Postgres(
            int port,
            Optional<Path> binDir,
            Path installRoot,
            String osUser,
            Optional<Long> memoryBytes,
            int maxConnections,
            Duration stopTimeout,
            Duration startTimeout,
            int diskFullPercent,
            String listenAddresses,
            boolean requireTls) {}

    /**
     * Settings of the client-facing proxy.
     *
     * @param readOnlyPort 0 = no read-only proxy
     */
    public record Proxy(
            int port,
            Duration connectTimeout,
            int threads,
            Duration holdTimeout,
            int maxHeld,
            int maxConnections,
            int maxUnauthenticatedPerAddress,
            int readOnlyPort,
            long readOnlyMaxLagBytes) {}

    /**
     * Where the cluster state lives: an external ZooKeeper ({@code connect}), a peer of an embedded ensemble given
     * up front ({@code ensemble} non-empty, this node is {@code myId}), or this node's embedded ZooKeeper: a
     * one-voter ensemble that grows as nodes join it ({@code join}: a member's ZooKeeper client address).
     *
     * @param embeddedHost   the address the embedded ZooKeeper listens on; empty: this node's advertised address
     *                       when one is known, else loopback
     * @param voters         how many voters a growing embedded ensemble gets; nodes that join beyond it observe
     * @param realtimeThreads the threads the store session rides on run at real-time CPU priority
     */
    public record Store(
            Optional<String> connect,
            List<ZkPeer> ensemble,
            int myId,
            Duration sessionTimeout,
            Duration connectTimeout,
            int embeddedPort,
            int embeddedPeerPort,
            int embeddedElectionPort,
            String embeddedHost,
            Duration embeddedTickTime,
            Optional<String> join,
            int voters,
            boolean realtimeThreads) {

        public Store {
            ensemble = List.copyOf(ensemble);
        }

        /** This node runs a ZooKeeper server (standalone or a peer of the ensemble). */
        public boolean embedded() {
            return connect.isEmpty();
        }

        /** This node runs one peer of a multi-node embedded ensemble. */
        public boolean quorum() {
            return !ensemble.isEmpty();
        }

        /** Several members share the store: the embedded ensemble, an external ZooKeeper, or one this node joins. */
        public boolean shared() {
            return quorum() || connect.isPresent() || join.isPresent();
        }

        public Optional<ZkPeer> self() {
            return ensemble.stream().filter(p -> p.id() == myId).findFirst();
        }
    }

    /**
     * Cluster-wide behaviour; the elected sentinel writes its values into the cluster spec.
     *
     * @param synchronousMode   "on", "off" or "auto" (on once the cluster has two or more database members)
     * @param synchronousStrict with no healthy synchronous standby, refuse writes instead of serving alone
     * @param synchronousStandbys how many synchronous standbys a commit waits for (ANY N)
     * @param failTimeout       how long a leader may report itself unhealthy before the cluster fails over
     * @param deadMemberRemovalInterval a member gone this long loses its registration and its replication slot
     * @param failsafe                  a leader that loses the store keeps serving while every other member
     *                                  promises, over HTTP, not to promote (cluster.failsafe)
     * @param maximumLagOnFailover      without synchronous replication, a standby lacking more WAL (bytes) than this
     *                                  of what the lost leader was known to have is not promoted automatically; 0 =
     *                                  no limit
     */
    public record Cluster(
            String synchronousMode,
            boolean synchronousStrict,
            int synchronousStandbys,
            Duration failTimeout,
            Duration deadMemberRemovalInterval,
            boolean failsafe,
            long maximumLagOnFailover,
            Callbacks callbacks) {}

    /**
     * Executables run when this member's postgres starts, stops or changes role (Patroni's callbacks), each with the
     * arguments event, role, cluster and member.
     *
     * @param timeout how long one may run before it is killed
     * @param user    the OS user they run as when pgha runs as root (empty: postgres.osUser)
     */
    public record Callbacks(
            Optional<Path> onStart,
            Optional<Path> onStop,
            Optional<Path> onRoleChange,
            Duration timeout,
            Optional<String> user) {
        public boolean any() {
            return onStart.isPresent() || onStop.isPresent() || onRoleChange.isPresent();
        }
    }

    /** Passwords given by configuration; empty ones are generated by {@code SecretStore}. */
    public record Secrets(
            Optional<Secret> suPassword,
            Optional<Secret> replPassword,
            Optional<Secret> operatorPassword,
            Optional<Secret> storeSecret,
            boolean showCredentials) {
        /** Configured passwords, the generated ones shown once at creation. */
        public Secrets(
                Optional<Secret> suPassword,
                Optional<Secret> replPassword,
                Optional<Secret> operatorPassword,
                Optional<Secret> storeSecret) {
            this(suPassword, replPassword, operatorPassword, storeSecret, true);
        }
    }

    /**
     * The operator's certificates (PEM files): this node's certificate and private key, and the CA that signed every
     * member's. Given, ZooKeeper's client and quorum connections use mutual TLS, and postgres serves this certificate
     * (otherwise it serves a self-signed one); pgha's own connections to other members then verify it against the CA.
     */
    public record Tls(Path certFile, Path keyFile, Path caFile) {}

    /**
     * Backups with pgBackRest (off without a repository).
     *
     * @param archiveQueueMaxBytes WAL kept for a repository that does not take it, at most
     * @param archiveMaxAge        archiving may fail this long before the health check fails
     * @param restore              a first start restores from another cluster's backups instead of running initdb
     */
    public record Backup(
            Optional<BackupRepository> repository,
            Optional<Secret> cipherPass,
            List<ScheduledBackup> schedule,
            int retentionFull,
            long archiveQueueMaxBytes,
            Duration archiveMaxAge,
            Optional<Restore> restore) {
        public Backup {
            schedule = List.copyOf(schedule);
        }

        /** WAL is archived and base backups can be taken. */
        public boolean enabled() {
            return repository.isPresent();
        }
    }

    /** Restore another cluster's ({@code fromCluster}'s stanza) backup, replaying its archive to {@code target}. */
    public record Restore(String fromCluster, RecoveryTarget target) {}

    /** $dataDir/pgbackrest: pgbackrest.conf, the archive spool and pgBackRest's locks, owned by postgres's OS user. */
    public Path backupDir() {
        return dataDir.resolve("pgbackrest");
    }

    /** $dataDir/postgres: PGDATA. */
    public Path pgData() {
        return dataDir.resolve("postgres");
    }

    /** $dataDir/zookeeper: embedded ZooKeeper snapshots and logs. */
    public Path zookeeperDir() {
        return dataDir.resolve("zookeeper");
    }

    /**
     * The address this node's embedded ZooKeeper listens on: store.embedded.host, else the address it advertises
     * (advertiseHost, else FLY_PRIVATE_IP from {@code env}), else loopback.
     */
    public String embeddedStoreHost(Map<String, String> env) {
        if (!store.embeddedHost().isBlank()) {
            return store.embeddedHost();
        }
        if (advertiseHost.isPresent()) {
            return advertiseHost.get();
        }
        String flyIp = env.get(EnvOverrides.FLY_PRIVATE_IP);
        return flyIp != null && !flyIp.isBlank() ? flyIp.strip() : "127.0.0.1";
    }

    /** This node's server in its embedded ZooKeeper ensemble when it runs no ensemble given up front. */
    public ZkPeer embeddedStoreServer(int id, Map<String, String> env) {
        String host = embeddedStoreHost(env);
        return new ZkPeer(id, host, store.embeddedPeerPort(), store.embeddedElectionPort(), host, store.embeddedPort());
    }

    /** $dataDir/pgha: node id and generated secrets, readable by root only. */
    public Path stateDir() {
        return dataDir.resolve("pgha");
    }

    /** $dataDir/tls: the certificate and key postgres serves, owned by postgres's OS user. */
    public Path tlsDir() {
        return dataDir.resolve("tls");
    }

    /** The certificate postgres serves (and the proxy answers refused TLS clients with). */
    public Path serverCertFile() {
        return tlsDir().resolve("server.crt");
    }

    /** Its private key. */
    public Path serverKeyFile() {
        return tlsDir().resolve("server.key");
    }

    /** $dataDir/run: postgres's unix socket and short-lived files handed to postgres binaries. */
    public Path runDir() {
        return dataDir.resolve("run");
    }
}
