package dev.pgha.app.metrics;

import dev.pgha.net.HttpReply;
import dev.pgha.net.HttpRequestInfo;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.Closeable;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;

/**
 * The Prometheus endpoint: one registry holding postgres_exporter-compatible pg_* series, pgha_* series and the
 * JVM's and process's own. A scrape first reads postgres once (bounded in time), then renders the text format.
 */
public final class MetricsEndpoint implements Closeable {
    private final AtomicBoolean closed = new AtomicBoolean();
    private static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final JvmGcMetrics gc = new JvmGcMetrics();
    private PgMetrics pg;

    /** Every series carries the cluster's and the member's name, so one dashboard can tell clusters apart. */
    public MetricsEndpoint(String cluster, String member) {
        registry.config().commonTags("cluster", cluster, "member", member);
        new JvmMemoryMetrics().bindTo(registry);
        gc.bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ClassLoaderMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
        new FileDescriptorMetrics().bindTo(registry);
    }

    public PrometheusMeterRegistry registry() {
        return registry;
    }

    /** The postgres series to read before each scrape. */
    public void readPostgresWith(PgMetrics metrics) {
        this.pg = metrics;
    }

    public Map<String, Function<HttpRequestInfo, HttpReply>> routes() {
        return Map.of("/metrics", q -> scrape());
    }

    private synchronized HttpReply scrape() {
        if (pg != null) {
            pg.collect();
        }
        return new HttpReply(200, CONTENT_TYPE, registry.scrape());
    }

    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return; // closed already
        }
        gc.close();
        registry.close();
    }
}
