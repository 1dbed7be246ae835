package dev.pgha.image;

import dev.pgha.common.PghaException;
import dev.pgha.common.config.ConfigLoader;
import dev.pgha.common.config.Durations;
import dev.pgha.common.config.NodeIdentity;
import dev.pgha.common.config.PghaConfig;
import dev.pgha.common.config.ZkPeer;
import dev.pgha.common.http.HttpService;
import dev.pgha.common.model.ClusterSpec;
import dev.pgha.common.model.Json;
import dev.pgha.common.model.MemberInfo;
import dev.pgha.common.model.OperatorRequest;
import dev.pgha.common.net.Ports;
import dev.pgha.common.secret.Credentials;
import dev.pgha.common.secret.SecretStore;
import dev.pgha.common.store.ClusterStore;
import dev.pgha.common.store.EmbeddedZooKeeper;
import dev.pgha.common.store.StoreException;
import dev.pgha.common.store.ZooKeeperPeer;
import dev.pgha.image.admin.LeaderRequest;
import dev.pgha.image.health.HealthApi;
import dev.pgha.image.metrics.ClusterMetrics;
import dev.pgha.image.metrics.MetricsEndpoint;
import dev.pgha.keeper.Keeper;
import dev.pgha.keeper.PgChecks;
import dev.pgha.keeper.PgMetrics;
import dev.pgha.proxy.ProxyMetrics;
import dev.pgha.proxy.ProxyRouter;
import dev.pgha.proxy.ProxyServer;
import dev.pgha.proxy.Route;
import dev.pgha.sentinel.Sentinel;
import java.io.Closeable;
import java.io.IOException;
import java.net.BindException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.curator.framework.state.ConnectionState;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sun.misc.Signal;

/**
 * {@code pgha start}: brings up store, proxy, sentinel and keeper in that order, waits for SIGTERM/SIGINT (or a
 * fatal error), then takes them down in reverse: no new clients, client connections closed, postgres shut down
 * (fast, then immediate), store closed, embedded ZooKeeper stopped. A second signal stops postgres immediately.
 */
final class Supervisor {
    private static final Logger log = LoggerFactory.getLogger(Supervisor.class);

    private final Optional<Path> configFile;
    private final Map<String, String> env;
    private final boolean witness;
    private final CountDownLatch stopRequested = new CountDownLatch(1);
    private final AtomicInteger signals = new AtomicInteger();
    private final AtomicReference<PghaException> fatal = new AtomicReference<>();
    private final AtomicBoolean stopped = new AtomicBoolean();

    private Closeable zookeeper;
    private ClusterStore store;
    private ProxyServer proxy;
    private ProxyServer readOnlyProxy;
    private ProxyRouter router;
    private Sentinel sentinel;
    private Closeable witnessNode; // announces a witness to pgha status
    private volatile Keeper keeper;
    private Route announced;
    private MetricsEndpoint metrics;
    private PghaConfig config;
    private String memberId;
    private ScheduledExecutorService idleWatch;
    private ClusterMetrics clusterMetrics;
    private HttpService healthHttp;
    private HttpService metricsHttp;

    Supervisor(Optional<Path> configFile, Map<String, String> env, boolean witness) {
        this.configFile = configFile;
        this.env = env;
        this.witness = witness;
    }

    int run() {
        handleSignal("TERM");
        handleSignal("INT");
        Thread hook = new Thread(this::stopAll, "pgha-shutdown-hook");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            startAll();
        } catch (RuntimeException | Error e) {
            stopAll();
            throw e;
        }
        awaitStop();
        if (fatal.get() == null) {
            startStopWatchdog();
            handOverIfLeading();
        }
        stopAll();
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException ignored) {
            // already shutting down
        }
        PghaException failure = fatal.get();
        if (failure != null) {
            throw failure;
        }
        return 0;
    }

    private void startAll() {
        PghaConfig config = ConfigLoader.load(configFile, env);
        this.config = config;
        if (witness && !config.store().quorum()) {
            throw new PghaException("--witness runs one peer of an embedded ZooKeeper ensemble: set PGHA_ZK_ENSEMBLE "
                    + "and PGHA_ZK_MYID (a witness has no postgres, so it is pointless on its own)");
        }
        prepareDataDir(config);
        String memberId = NodeIdentity.resolve(config.stateDir(), config.nodeId(), hostname());
        this.memberId = memberId;
        Keeper.Environment pgEnv = witness ? null : Keeper.preflight(config, env);
        if (!witness) {
            Ports.requireFree(null, config.proxy().port(), "PG_PROXY_PORT");
            if (config.proxy().readOnlyPort() != 0) {
                Ports.requireFree(null, config.proxy().readOnlyPort(), "PGHA_READONLY_PORT");
            }
            Ports.requireFree(null, config.postgres().port(), "PG_PORT");
            Ports.requireFree(null, config.metricsPort(), "PGHA_METRICS_PORT");
        }
        Ports.requireFree(null, config.httpPort(), "PGHA_HTTP_PORT");
        requireStorePortsFree(config);
        SecretStore secrets = new SecretStore(config.stateDir());
        Credentials credentials = witness ? null : resolveCredentials(config, secrets);
        log.info(
                "starting {} {} of cluster {} (data {})",
                witness ? "witness" : "member",
                memberId,
                config.clusterName(),
                config.dataDir());

        String connect = config.store().connect().orElse(null);
        String storeName = "ZooKeeper at " + connect + " (PGHA_ZK_CONNECT)";
        if (config.store().quorum()) {
            ZooKeeperPeer peer = ZooKeeperPeer.start(
                    config.zookeeperDir(),
                    config.store().ensemble(),
                    config.store().myId(),
                    config.store().embeddedTickTime());
            zookeeper = peer;
            connect = peer.connectString();
            storeName = "the embedded ZooKeeper ensemble " + connect + " (it needs a majority of its peers running)";
        } else if (config.store().embedded()) {
            EmbeddedZooKeeper standalone = startEmbeddedZooKeeper(config);
            zookeeper = standalone;
            connect = standalone.connectString();
            storeName = "the embedded ZooKeeper at " + connect;
        }
        if (stopRequested.getCount() == 0) {
            return; // SIGTERM during start-up: stop what was started
        }
        store = connectStore(config, connect, storeName);
        if (store == null) {
            return; // stopped while waiting for the ensemble
        }
        ClusterSpec spec = new ClusterSpec(
                config.primaryRegion().orElse(null),
                ClusterSpec.SyncMode.valueOf(config.cluster().synchronousMode().toUpperCase(java.util.Locale.ROOT)),
                config.cluster().synchronousStrict(),
                config.cluster().failTimeout());
        if (witness) {
            sentinel = new Sentinel(
                    store,
                    memberId,
                    spec,
                    config.sentinelInterval(),
                    config.cluster().deadMemberRemovalInterval());
            sentinel.start();
            store.deleteIfExists(store.paths().witness(memberId));
            witnessNode = store.ephemeral(store.paths().witness(memberId), Json.write(Instant.now()));
            try {
                healthHttp = HttpService.listen(
                        "health-check",
                        null,
                        config.httpPort(),
                        HealthApi.witnessRoutes(config.dataDir(), config.health()),
                        HealthApi.deadline(config.health().checkTimeout()));
            } catch (BindException e) {
                throw Ports.inUse(config.httpPort(), "PGHA_HTTP_PORT");
            }
            log.info("ready: witness {} votes in the ZooKeeper ensemble and runs a sentinel", memberId);
            return;
        }
        MemberInfo registration = new MemberInfo(
                memberId,
                config.region().orElse(null),
                advertiseHost(config),
                config.postgres().port(),
                config.proxy().port(),
                config.httpPort(),
                Instant.now());
        store.register(registration);
        store.curator().getConnectionStateListenable().addListener((c, state) -> {
            if (state == ConnectionState.RECONNECTED) {
                registerAgainIfRemoved(registration);
            }
        });

        PghaConfig.Proxy p = config.proxy();
        ProxyServer.Settings proxySettings = new ProxyServer.Settings(
                p.connectTimeout(), p.threads(), p.holdTimeout(), p.maxHeld(), p.maxConnections(), false);
        try {
            proxy = ProxyServer.listen("proxy", p.port(), proxySettings);
        } catch (BindException e) {
            throw Ports.inUse(p.port(), "PG_PROXY_PORT");
        }
        if (p.readOnlyPort() != 0) {
            try {
                readOnlyProxy = ProxyServer.listen("read-only proxy", p.readOnlyPort(), proxySettings.readOnly());
            } catch (BindException e) {
                throw Ports.inUse(p.readOnlyPort(), "PGHA_READONLY_PORT");
            }
        }
        Runnable readiness = () -> announceReadiness(memberId, config, credentials, secrets);
        proxy.onRouteChange(route -> readiness.run());
        router = new ProxyRouter(
                store,
                memberId,
                proxy,
                readOnlyProxy,
                p.readOnlyMaxLagBytes(),
                config.store().sessionTimeout());
        router.start();
        sentinel = new Sentinel(
                store,
                memberId,
                spec,
                config.sentinelInterval(),
                config.cluster().deadMemberRemovalInterval());
        sentinel.start();
        keeper = new Keeper(config, memberId, credentials, store, pgEnv, env, this::onFatal, readiness);
        keeper.start();
        serveHealthAndMetrics(config, memberId, credentials);
        watchForIdleness(config.lifecycle().scaleToZero());
    }

    /**
     * Scale to zero: a single-node cluster whose proxy has had no client for {@code idle} stops itself (exit 0), so
     * the platform can stop the VM; any connection, even a short one between two looks, resets the clock.
     */
    private void watchForIdleness(Duration idle) {
        if (idle.isZero()) {
            return;
        }
        long every = Math.max(100, Math.min(10_000, idle.toMillis() / 4));
        idleWatch = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "pgha-scale-to-zero");
            t.setDaemon(true);
            return t;
        });
        long[] seen = {proxy.acceptedTotal()};
        Instant[] idleSince = {Instant.now()};
        idleWatch.scheduleWithFixedDelay(
                () -> {
                    long accepted = proxy.acceptedTotal();
                    if (accepted != seen[0] || proxy.clientConnections() > 0) {
                        seen[0] = accepted;
                        idleSince[0] = Instant.now();
                    } else if (!Instant.now().isBefore(idleSince[0].plus(idle))) {
                        log.info(
                                "no client connection for {} (lifecycle.scaleToZero): stopping; the next start resumes "
                                        + "as usual",
                                Durations.format(idle));
                        stopRequested.countDown();
                    }
                },
                every,
                every,
                TimeUnit.MILLISECONDS);
    }

    /**
     * A leader asked to stop hands leadership to a synchronous standby first (a switchover: clean demote, no
     * acknowledged write lost, clients held for well under a second); then this node stops as a standby. Without a
     * synchronous standby in sync it just stops, and the cluster fails over.
     */
    private void handOverIfLeading() {
        Keeper k = keeper;
        if (k == null || store == null || witness || !memberId.equals(k.view().leader()) || !k.serving()) {
            return;
        }
        if (k.view().synchronousNames().isEmpty()) {
            if (store.members().size() > 1) {
                log.warn("stopping the leader without a handover: no synchronous standby is in sync");
            }
            return;
        }
        Duration budget = config.lifecycle()
                .stopTimeout()
                .minus(config.postgres().stopTimeout())
                .minusSeconds(10);
        Duration limit = budget.compareTo(Duration.ofSeconds(60)) > 0 ? Duration.ofSeconds(60) : budget;
        log.info("handing leadership over before stopping (within {})", Durations.format(limit));
        long start = System.nanoTime();
        try {
            LeaderRequest.Outcome o = LeaderRequest.run(store, OperatorRequest.Kind.SWITCHOVER, null, limit);
            log.info(
                    "handed leadership over to {} in {} ms; stopping", o.to(), (System.nanoTime() - start) / 1_000_000);
        } catch (PghaException e) {
            log.warn("no handover ({}); stopping anyway, the cluster fails over", e.getMessage());
        }
    }

    /** The platform kills after lifecycle.stopTimeout: before that, postgres gets an immediate shutdown. */
    private void startStopWatchdog() {
        Duration timeout = config == null
                ? Duration.ofSeconds(300)
                : config.lifecycle().stopTimeout().minusSeconds(3);
        Thread t = new Thread(
                () -> {
                    try {
                        Thread.sleep(timeout.toMillis());
                    } catch (InterruptedException e) {
                        return;
                    }
                    // still running (a normal exit ends this daemon thread first)
                    log.warn("still stopping after {}: stopping postgres immediately", Durations.format(timeout));
                    Keeper k = keeper;
                    if (k != null) {
                        k.stopNow();
                    }
                    Runtime.getRuntime().halt(1);
                },
                "pgha-stop-watchdog");
        t.setDaemon(true);
        t.start();
    }

    /** The health-check endpoints (Fly's and Patroni's) and the Prometheus endpoint, each on its own port. */
    private void serveHealthAndMetrics(PghaConfig config, String memberId, Credentials credentials) {
        PghaConfig.Health limits = config.health();
        PgChecks checks = new PgChecks(memberId, config.postgres().port(), credentials.suPassword(), limits);
        HealthApi health = new HealthApi(
                memberId,
                config.clusterName(),
                keeper,
                checks,
                config.dataDir(),
                limits,
                store,
                config.keeperHeartbeat());
        metrics = new MetricsEndpoint();
        metrics.readPostgresWith(new PgMetrics(
                metrics.registry(), config.postgres().port(), credentials.suPassword(), limits.checkTimeout()));
        ProxyMetrics.bind(metrics.registry(), proxy);
        clusterMetrics = new ClusterMetrics(metrics.registry(), memberId, store, keeper);
        try {
            healthHttp = HttpService.listen(
                    "health-check",
                    null,
                    config.httpPort(),
                    health.routes(),
                    HealthApi.deadline(limits.checkTimeout()));
        } catch (BindException e) {
            throw Ports.inUse(config.httpPort(), "PGHA_HTTP_PORT");
        }
        try {
            metricsHttp = HttpService.listen(
                    "metrics", null, config.metricsPort(), metrics.routes(), HealthApi.deadline(limits.checkTimeout()));
        } catch (BindException e) {
            throw Ports.inUse(config.metricsPort(), "PGHA_METRICS_PORT");
        }
    }

    /**
     * Connects to the store. A peer of an embedded ensemble keeps waiting (and says so) until a majority of peers
     * runs: nodes of a new cluster are often started one after another. Returns null when stopped meanwhile.
     */
    private ClusterStore connectStore(PghaConfig config, String connect, String storeName) {
        Runnable stillWaiting = !config.store().quorum()
                ? null
                : () -> log.warn(
                        "waiting for a majority of the ZooKeeper ensemble ({} peers) to run; start the other nodes with the "
                                + "same PGHA_ZK_ENSEMBLE",
                        config.store().ensemble().size());
        return ClusterStore.connect(
                connect,
                config.clusterName(),
                config.store().sessionTimeout(),
                config.store().connectTimeout(),
                storeName,
                () -> stopRequested.getCount() == 0,
                stillWaiting);
    }

    private static void requireStorePortsFree(PghaConfig config) {
        if (config.store().quorum()) {
            ZkPeer self = config.store().self().orElseThrow();
            String label = "PGHA_ZK_ENSEMBLE entry " + self.id();
            Ports.requireFree(null, self.clientPort(), label + " (client port)");
            Ports.requireFree(null, self.peerPort(), label + " (peer port)");
            Ports.requireFree(null, self.electionPort(), label + " (election port)");
        } else if (config.store().embedded()) {
            Ports.requireFree(config.store().embeddedHost(), config.store().embeddedPort(), "PGHA_ZK_PORT");
        }
    }

    /**
     * Members of a multi-node cluster clone each other's data, so they must share the three passwords: they come
     * from the environment (or config file) on every member. A single node generates its own once.
     */
    private static Credentials resolveCredentials(PghaConfig config, SecretStore secrets) {
        if (config.store().shared()) {
            java.util.List<String> missing = new java.util.ArrayList<>();
            if (config.secrets().suPassword().isEmpty()) {
                missing.add("SU_PASSWORD");
            }
            if (config.secrets().replPassword().isEmpty()) {
                missing.add("REPL_PASSWORD");
            }
            if (config.secrets().operatorPassword().isEmpty()) {
                missing.add("OPERATOR_PASSWORD");
            }
            if (!missing.isEmpty()) {
                throw new PghaException(String.join(", ", missing) + " not set: every member of a multi-node cluster "
                        + "(PGHA_ZK_ENSEMBLE or PGHA_ZK_CONNECT) needs the same SU_PASSWORD, REPL_PASSWORD and "
                        + "OPERATOR_PASSWORD, as members copy each other's data; set them as secrets of every node");
            }
        }
        return secrets.resolve(config.secrets());
    }

    private EmbeddedZooKeeper startEmbeddedZooKeeper(PghaConfig config) {
        try {
            return EmbeddedZooKeeper.start(
                    config.zookeeperDir(),
                    config.store().embeddedHost(),
                    config.store().embeddedPort(),
                    config.store().embeddedTickTime());
        } catch (BindException e) {
            throw Ports.inUse(config.store().embeddedPort(), "PGHA_ZK_PORT");
        } catch (IOException e) {
            throw new PghaException(
                    "cannot start the embedded ZooKeeper in " + config.zookeeperDir() + ": " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new PghaException("interrupted while starting the embedded ZooKeeper");
        }
    }

    /**
     * Called when the proxy's route or the keeper's state changes: once clients are routed to a serving leader, say
     * so; the first time ever, also show the generated credentials.
     */
    private synchronized void announceReadiness(
            String memberId, PghaConfig config, Credentials credentials, SecretStore secrets) {
        Optional<Route> route = proxy == null ? Optional.empty() : proxy.currentRoute();
        Keeper k = keeper;
        boolean local = route.isPresent() && route.get().leader().equals(memberId);
        boolean ready = route.isPresent() && (!local || (k != null && k.serving()));
        if (!ready || route.get().equals(announced)) {
            return;
        }
        announced = route.get();
        if (local && !credentials.generated().isEmpty() && !secrets.shown()) {
            // On the console (stderr), never in the log stream (stdout), which is shipped and kept.
            System.err.print(CredentialsBanner.render(
                    config.clusterName(),
                    credentials,
                    config.proxy().port(),
                    config.postgres().port(),
                    secrets.file()));
            System.err.flush();
            try {
                secrets.markShown();
            } catch (IOException e) {
                log.warn("cannot record that the credentials were shown; they will be shown again: {}", e.getMessage());
            }
        }
        log.info(
                "ready: clients connect to port {} (leader {})",
                config.proxy().port(),
                route.get().leader());
    }

    /** Creates the data directory and its private state directory; refuses one that cannot be written. */
    private static void prepareDataDir(PghaConfig config) {
        Path dir = config.dataDir();
        String label = "data directory " + dir + " (PGHA_DATA_DIR)";
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new PghaException("cannot create " + label + ": " + reason(e)
                    + "; mount a writable volume there or set PGHA_DATA_DIR");
        }
        Path probe = dir.resolve(".pgha-write-test");
        try {
            Files.deleteIfExists(probe);
            Files.createFile(probe);
            Files.delete(probe);
            dev.pgha.common.fs.PrivateFiles.privateDirectory(config.stateDir());
        } catch (IOException e) {
            throw new PghaException(
                    label + " is not writable: " + reason(e) + "; mount a writable volume there or set PGHA_DATA_DIR");
        }
    }

    private static String reason(IOException e) {
        String cls = e.getClass().getSimpleName().replace("Exception", "");
        return e.getMessage() == null ? cls : cls + " " + e.getMessage();
    }

    /**
     * After a long absence (a partition, a paused VM) the elected sentinel may have removed this member's
     * registration (cluster.deadMemberRemovalInterval); a member that is back registers again so the leader keeps
     * a replication slot for it and the sentinel counts it.
     */
    private void registerAgainIfRemoved(MemberInfo registration) {
        try {
            if (store.member(memberId).isEmpty()) {
                store.register(registration);
                log.info("registered again: this member's registration had been removed while it was gone");
            }
        } catch (StoreException e) {
            log.warn("cannot check this member's registration: {}", e.getMessage());
        }
    }

    private String advertiseHost(PghaConfig config) {
        if (config.advertiseHost().isPresent()) {
            return config.advertiseHost().get();
        }
        String flyIp = env.get("FLY_PRIVATE_IP");
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
            throw new PghaException("cannot find this host's address (" + e.getMessage()
                    + "): set PGHA_ADVERTISE_HOST to the address other members reach it at");
        }
    }

    private static String hostname() {
        String h = System.getenv("HOSTNAME");
        if (h != null && !h.isBlank()) {
            return h;
        }
        try {
            return Files.readString(Path.of("/etc/hostname")).strip();
        } catch (IOException e) {
            return "";
        }
    }

    // ---- stopping -------------------------------------------------------------------------------------------

    private void handleSignal(String name) {
        Signal.handle(new Signal(name), s -> {
            if (signals.incrementAndGet() == 1) {
                log.info("SIG{} received: stopping (send it again to stop postgres immediately)", name);
                stopRequested.countDown();
            } else {
                log.warn("SIG{} received again: stopping postgres immediately", name);
                Keeper k = keeper;
                if (k != null) {
                    k.stopNow();
                }
                Runtime.getRuntime().halt(1);
            }
        });
    }

    private void onFatal(PghaException e) {
        fatal.compareAndSet(null, e);
        stopRequested.countDown();
    }

    private void awaitStop() {
        try {
            stopRequested.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Takes everything down in reverse order; safe to call more than once, from any thread. */
    private void stopAll() {
        if (!stopped.compareAndSet(false, true) || zookeeper == null && store == null) {
            return; // nothing was started (a preflight check failed): the error says it all
        }
        if (idleWatch != null) {
            idleWatch.shutdownNow();
        }
        close(healthHttp);
        close(metricsHttp);
        close(clusterMetrics);
        if (proxy != null) {
            proxy.stopAccepting();
        }
        if (readOnlyProxy != null) {
            readOnlyProxy.stopAccepting();
        }
        close(proxy);
        close(readOnlyProxy);
        close(keeper); // postgres stops before anything that may wait on an unreachable store
        close(router);
        close(sentinel);
        close(witnessNode);
        close(store);
        close(zookeeper);
        close(metrics);
        log.info("stopped");
    }

    private static void close(AutoCloseable c) {
        if (c == null) {
            return;
        }
        try {
            c.close();
        } catch (Throwable e) {
            log.warn("error while stopping {}: {}", c.getClass().getSimpleName(), e.toString());
        }
    }
}
