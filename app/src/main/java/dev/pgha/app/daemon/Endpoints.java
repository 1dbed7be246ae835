package dev.pgha.app.daemon;

import dev.pgha.app.api.OperationsApi;
import dev.pgha.app.cli.StatusWire;
import dev.pgha.app.health.HealthApi;
import dev.pgha.app.metrics.BackupMetrics;
import dev.pgha.app.metrics.ClusterMetrics;
import dev.pgha.app.metrics.MetricsEndpoint;
import dev.pgha.app.metrics.PgMetrics;
import dev.pgha.app.metrics.ProxyMetrics;
import dev.pgha.app.metrics.VolumeMetrics;
import dev.pgha.common.config.EnvOverrides;
import dev.pgha.common.config.PghaConfig;
import dev.pgha.common.net.Ports;
import dev.pgha.common.secret.Credentials;
import dev.pgha.common.store.ClusterStore;
import dev.pgha.keeper.FailsafeResponder;
import dev.pgha.keeper.Keeper;
import dev.pgha.net.HttpAction;
import dev.pgha.net.HttpReply;
import dev.pgha.net.HttpRequestInfo;
import dev.pgha.net.HttpService;
import dev.pgha.net.MemberTls;
import dev.pgha.postgres.PgChecks;
import dev.pgha.proxy.ProxyServer;
import java.net.BindException;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Function;

/** The health-check endpoints (Fly's and Patroni's) and the Prometheus endpoint, each on its own port. */
final class Endpoints implements AutoCloseable {
    private HttpService health;
    private HttpService metricsHttp;
    private MetricsEndpoint metrics;
    private ClusterMetrics clusterMetrics;
    private BackupMetrics backupMetrics;

    /** A database member's endpoints. */
    static Endpoints member(
            PghaConfig config,
            String memberId,
            Credentials credentials,
            Keeper keeper,
            ProxyServer proxy,
            ClusterStore store,
            byte[] statusKey) {
        Endpoints e = new Endpoints();
        try {
            PghaConfig.Health limits = config.health();
            PgChecks checks = new PgChecks(
                    memberId,
                    config.postgres().port(),
                    credentials.suPassword(),
                    limits,
                    config.backup().enabled() ? config.backup().archiveMaxAge() : null);
            HealthApi api = new HealthApi(
                    memberId,
                    config.clusterName(),
                    keeper,
                    checks,
                    config.dataDir(),
                    limits,
                    store,
                    config.keeperHeartbeat());
            e.metrics = new MetricsEndpoint(config.clusterName(), memberId);
            e.metrics.readPostgresWith(new PgMetrics(
                    e.metrics.registry(), config.postgres().port(), credentials.suPassword(), limits.checkTimeout()));
            ProxyMetrics.bind(e.metrics.registry(), proxy);
            VolumeMetrics.bind(
                    e.metrics.registry(), config.pgData(), config.postgres().diskFullPercent());
            e.clusterMetrics = new ClusterMetrics(e.metrics.registry(), memberId, store, keeper);
            if (config.backup().enabled()) {
                e.backupMetrics = new BackupMetrics(e.metrics.registry(), store);
            }
            Map<String, Function<HttpRequestInfo, HttpReply>> failsafe = Map.of("/failsafe", request -> {
                FailsafeResponder.Reply r = keeper.failsafe().answer(request.body(), request.peerCertified());
                return HttpReply.json(r.status(), r.body());
            });
            // with certificates the port also speaks TLS: other members' failsafe requests come that way
            MemberTls tls = config.tls()
                    .map(t -> MemberTls.server(t.certFile(), t.keyFile(), t.caFile()))
                    .orElse(null);
            OperationsApi operations = new OperationsApi(config, memberId, store, credentials.operatorPassword());
            Map<String, Function<HttpRequestInfo, HttpReply>> reads = new HashMap<>(api.routes());
            reads.putAll(operations.routes());
            reads.put(
                    StatusWire.PATH,
                    r -> StatusWire.answer(
                            r, store, config.clusterName(), config.backup().enabled(), statusKey));
            e.health = listen(
                    "health-check", config.httpPort(), "http.port", reads, failsafe, operations.actions(), config, tls);
            e.metricsHttp = listen(
                    "metrics",
                    config.metricsPort(),
                    "metrics.port",
                    e.metrics.routes(),
                    Map.of(),
                    Map.of(),
                    config,
                    null);
            return e;
        } catch (RuntimeException failure) {
            e.close();
            throw failure;
        }
    }

    /** A witness's endpoints: /flycheck/role, /liveness and /flycheck/vm. */
    static Endpoints witness(PghaConfig config) {
        Endpoints e = new Endpoints();
        e.health = listen(
                "health-check",
                config.httpPort(),
                "http.port",
                HealthApi.witnessRoutes(config.dataDir(), config.health()),
                Map.of(),
                Map.of(),
                config,
                null);
        return e;
    }

    private static HttpService listen(
            String name,
            int port,
            String setting,
            Map<String, Function<HttpRequestInfo, HttpReply>> routes,
            Map<String, Function<HttpRequestInfo, HttpReply>> postRoutes,
            Map<String, HttpAction> actions,
            PghaConfig config,
            MemberTls tls) {
        try {
            return HttpService.listen(
                    name,
                    null,
                    port,
                    routes,
                    postRoutes,
                    actions,
                    HealthApi.deadline(config.health().checkTimeout()),
                    tls);
        } catch (BindException e) {
            throw Ports.inUse(port, EnvOverrides.label(setting));
        }
    }

    @Override
    public void close() {
        Supervisor.close(health);
        Supervisor.close(metricsHttp);
        Supervisor.close(clusterMetrics);
        Supervisor.close(backupMetrics);
        Supervisor.close(metrics);
    }
}
