package dev.pgha.app.daemon;

import dev.pgha.app.cli.StatusWire;
import dev.pgha.common.PghaException;
import dev.pgha.common.config.ConfigLoader;
import dev.pgha.common.config.Durations;
import dev.pgha.common.config.EnvOverrides;
import dev.pgha.common.config.NodeIdentity;
import dev.pgha.common.config.PghaConfig;
import dev.pgha.common.failsafe.Failsafe;
import dev.pgha.common.model.ClusterSpec;
import dev.pgha.common.net.Ports;
import dev.pgha.common.secret.Credentials;
import dev.pgha.common.secret.Secret;
import dev.pgha.common.secret.SecretStore;
import dev.pgha.common.store.ClusterStore;
import dev.pgha.common.store.Published;
import dev.pgha.keeper.InitDbAhead;
import dev.pgha.keeper.Keeper;
import dev.pgha.keeper.PostgresEnvironment;
import dev.pgha.keeper.RoleCallbacks;
import dev.pgha.net.Transport;
import dev.pgha.proxy.ProxyRouter;
import dev.pgha.proxy.ProxyServer;
import dev.pgha.proxy.ProxySettings;
import dev.pgha.proxy.RefusalTls;
import dev.pgha.sentinel.Sentinel;
import dev.pgha.store.StoreThreads;
import dev.pgha.store.ZooKeeperAuth;
import dev.pgha.store.ZooKeeperPeer;
import java.net.BindException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sun.misc.Signal;

/**
 * {@code pgha start}: wires the roles of one node and runs them. It brings up store, proxy, sentinel and keeper in
 * that order, waits for SIGTERM/SIGINT (or a fatal error), then takes them down in reverse: no new clients, client
 * connections closed, postgres shut down (fast, then immediate), store closed, embedded ZooKeeper stopped. A second
 * signal stops postgres immediately.
 */
final class Supervisor {
    private static final Logger log = LoggerFactory.getLogger(Supervisor.class);
    // The loops that act on the store's word: the keeper fences on it, the sentinel and the proxy's router follow it.
    private static final Set<String> STORE_LOOPS = Set.of(Keeper.THREAD, Sentinel.THREAD, ProxyRouter.THREAD);

    private final Optional<Path> configFile;
    private final Map<String, String> env;
    private final boolean witness;
    private final CountDownLatch stopRequested = new CountDownLatch(1);
    private RemovalWatch removalWatch;
    private final AtomicInteger signals = new AtomicInteger();
    private final AtomicReference<PghaException> fatal = new AtomicReference<>();
    private final AtomicBoolean stopped = new AtomicBoolean();
    private final StoreConnection storeConnection = new StoreConnection();

    private PghaConfig config;
    private String memberId;
    private ClusterStore store;
    private ProxyServer proxy;
    private ProxyServer readOnlyProxy;
    private ProxyRouter router;
    private Sentinel sentinel;
    private Published<Instant> witnessPresence; // announces a witness to pgha status
    private volatile Keeper keeper;
    private volatile InitDbAhead initDbAhead; // a fresh single node's initdb, begun before the store is up
    private RoleCallbacks callbacks;
    private Endpoints endpoints;
    private ScheduledExecutorService idleWatch;
    private RealtimeThreads realtimeThreads;

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
            if (!witness) {
                if (keeper != null) {
                    keeper.stopping();
                }
                Lifetime.handOverIfLeading(keeper, store, memberId, config);
            }
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
        config = ConfigLoader.load(configFile, env);
        if (config.store().embedded()) {
            StartWarmUp.embeddedStore(); // while the node is checked and its secrets are read
        }
        if (witness
                && !config.store().quorum()
                && !(config.store().embedded()
                        && (config.store().join().isPresent()
                                || ZooKeeperPeer.memberOf(config.zookeeperDir()).isPresent()))) {
            throw new PghaException("--witness runs one voter of the cluster's embedded ZooKeeper ensemble: set "
                    + EnvOverrides.label("store.join") + " to a member's address (or "
                    + EnvOverrides.label("store.ensemble") + " and " + EnvOverrides.label("store.myId")
                    + " for a fixed ensemble); a witness has no postgres, so it is pointless on its own");
        }
        NodeSetup.prepareDataDir(config);
        memberId = NodeIdentity.resolve(config.stateDir(), config.nodeId(), NodeSetup.hostname(env));
        PostgresEnvironment pgEnv = witness ? null : PostgresEnvironment.preflight(config, env);
        if (!witness) {
            Transport.best(); // a -Dpgha.transport this machine cannot run stops the start here, before anything runs
            requireFree(config.proxy().port(), "proxy.port");
            if (config.proxy().readOnlyPort() != 0) {
                requireFree(config.proxy().readOnlyPort(), "proxy.readOnlyPort");
            }
            requireFree(config.postgres().port(), "postgres.port");
            requireFree(config.metricsPort(), "metrics.port");
        }
        requireFree(config.httpPort(), "http.port");
        StoreConnection.requirePortsFree(config, env);
        SecretStore secrets = new SecretStore(config.stateDir());
        Credentials credentials = witness ? null : NodeSetup.resolveCredentials(config, secrets);
        log.info(
                "starting {} {} of cluster {} (data {})",
                witness ? "witness" : "member",
                memberId,
                config.clusterName(),
                config.dataDir());

        Secret storeSecret = NodeSetup.storeSecret(config, secrets, credentials);
        ZooKeeperAuth storeAuth = NodeSetup.storeAuth(config, storeSecret);
        if (!witness) {
            if (createsTheClusterSurely(config)) {
                initDbAhead = InitDbAhead.start(config, pgEnv, credentials); // while ZooKeeper starts
            } else {
                InitDbAhead.discardLeftover(config);
            }
        }
        boolean freshNode = RemovalWatch.freshNode(config);
        if (config.store().realtimeThreads()) {
            realtimeThreads =
                    RealtimeThreads.start(name -> StoreThreads.carriesSession(name) || STORE_LOOPS.contains(name));
        }
        store = storeConnection.open(
                config,
                storeAuth,
                env,
                new StoreConnection.Node(memberId, witness, freshNode),
                () -> stopRequested.getCount() == 0);
        if (store == null) {
            return; // stopped while waiting for the store
        }
        ClusterSpec spec = new ClusterSpec(
                        config.primaryRegion().orElse(null),
                        ClusterSpec.SyncMode.valueOf(
                                config.cluster().synchronousMode().toUpperCase(Locale.ROOT)),
                        config.cluster().synchronousStrict(),
                        config.cluster().failTimeout())
                .withMaximumLagOnFailover(config.cluster().maximumLagOnFailover())
                .withSynchronousStandbys(config.cluster().synchronousStandbys());
        sentinel = new Sentinel(
                store,
                memberId,
                spec,
                config.sentinelInterval(),
                config.cluster().deadMemberRemovalInterval(),
                config.backup().schedule(),
                config.store().sessionTimeout());
        removalWatch = RemovalWatch.start(store, memberId, freshNode, this::onFatal);
        if (witness) {
            if (storeConnection.serverId() > 0) {
                store.registerWitness(memberId, storeConnection.serverId()); // so `pgha member remove` finds it
            }
            sentinel.start();
            witnessPresence = store.witness(memberId);
            witnessPresence.publish(Instant.now());
            endpoints = Endpoints.witness(config);
            log.info("ready: witness {} votes in the ZooKeeper ensemble and runs a sentinel", memberId);
            return;
        }
        NodeSetup.register(store, config, memberId, env, storeConnection.serverId());
        startProxies();
        Readiness readiness = new Readiness(memberId, config, credentials, secrets, proxy, () -> keeper);
        proxy.onRouteChange(route -> readiness.check());
        Failsafe failsafe = new Failsafe(memberId, config.store().sessionTimeout());
        router = new ProxyRouter(
                store, memberId, proxy, readOnlyProxy, config.proxy().readOnlyMaxLagBytes(), failsafe);
        router.start();
        sentinel.start();
        keeper =
                new Keeper(config, memberId, credentials, store, pgEnv, env, this::onFatal, readiness::check, failsafe);
        keeper.tellStoreLeadership(storeConnection::leadsEnsemble);
        if (config.cluster().callbacks().any()) {
            callbacks = new RoleCallbacks(config, memberId);
            keeper.tellRoleChanges(callbacks);
        }
        if (initDbAhead != null) {
            keeper.initDbAhead(initDbAhead);
        }
        keeper.start();
        endpoints = Endpoints.member(
                config, memberId, credentials, keeper, proxy, store, StatusWire.key(storeSecret, config.clusterName()));
        idleWatch = Lifetime.watchForIdleness(config.lifecycle().scaleToZero(), proxy, stopRequested::countDown);
    }

    /**
     * A fresh single node on its own embedded store (no ensemble, no join, no restore, no ZooKeeper data, no
     * PGDATA): the store it is about to create is empty, so its sentinel will surely tell it to create the cluster.
     */
    private static boolean createsTheClusterSurely(PghaConfig config) {
        return config.store().embedded()
                && !config.store().quorum()
                && config.store().join().isEmpty()
                && config.backup().restore().isEmpty()
                && ZooKeeperPeer.memberOf(config.zookeeperDir()).isEmpty()
                && !Files.exists(config.pgData());
    }

    private void startProxies() {
        PghaConfig.Proxy p = config.proxy();
        ProxySettings settings = new ProxySettings(
                p.connectTimeout(),
                p.threads(),
                p.holdTimeout(),
                p.maxHeld(),
                p.maxConnections(),
                false,
                p.maxUnauthenticatedPerAddress());
        try {
            proxy = ProxyServer.listen("proxy", p.port(), settings);
        } catch (BindException e) {
            throw Ports.inUse(p.port(), EnvOverrides.label("proxy.port"));
        }
        RefusalTls refusalTls = new RefusalTls(config.serverCertFile(), config.serverKeyFile());
        proxy.answerRefusalsWithTls(refusalTls);
        if (p.readOnlyPort() != 0) {
            try {
                readOnlyProxy = ProxyServer.listen("read-only proxy", p.readOnlyPort(), settings.readOnly());
            } catch (BindException e) {
                throw Ports.inUse(p.readOnlyPort(), EnvOverrides.label("proxy.readOnlyPort"));
            }
            readOnlyProxy.answerRefusalsWithTls(refusalTls);
        }
    }

    private static void requireFree(int port, String setting) {
        Ports.requireFree(null, port, EnvOverrides.label(setting));
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
                    stopPostgresNow();
                    Runtime.getRuntime().halt(1);
                },
                "pgha-stop-watchdog");
        t.setDaemon(true);
        t.start();
    }

    // ---- stopping -------------------------------------------------------------------------------------------

    private void handleSignal(String name) {
        Signal.handle(new Signal(name), s -> {
            if (signals.incrementAndGet() == 1) {
                log.info("SIG{} received: stopping (send it again to stop postgres immediately)", name);
                stopRequested.countDown();
            } else {
                log.warn("SIG{} received again: stopping postgres immediately", name);
                stopPostgresNow();
                Runtime.getRuntime().halt(1);
            }
        });
    }

    private void stopPostgresNow() {
        Keeper k = keeper;
        if (k != null) {
            k.stopNow();
        }
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
        if (!stopped.compareAndSet(false, true)) {
            return;
        }
        close(realtimeThreads);
        if (!storeConnection.started()) {
            close(initDbAhead);
            return; // nothing else was started (a preflight check failed): the error says it all
        }
        if (idleWatch != null) {
            idleWatch.shutdownNow();
        }
        close(endpoints);
        if (proxy != null) {
            proxy.stopAccepting();
        }
        if (readOnlyProxy != null) {
            readOnlyProxy.stopAccepting();
        }
        close(proxy);
        close(readOnlyProxy);
        close(keeper); // postgres stops before anything that may wait on an unreachable store
        close(initDbAhead); // unless the keeper took it: initdb stopped, its directory deleted
        close(callbacks); // after the keeper: its on_stop runs once postgres has stopped
        close(router);
        close(sentinel);
        close(witnessPresence);
        close(removalWatch);
        storeConnection.close();
        log.info("stopped");
    }

    static void close(AutoCloseable c) {
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
