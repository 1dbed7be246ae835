package dev.pgha.app.metrics;

import dev.pgha.proxy.ProxyCounters;
import dev.pgha.proxy.ProxyServer;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * The proxy's series: pgha_proxy_connections_active, pgha_proxy_connections_held, pgha_proxy_connections_total,
 * pgha_proxy_refused_total and pgha_proxy_bytes_total{direction="in"|"out"} (in: from clients, out: to them).
 */
public final class ProxyMetrics {
    private ProxyMetrics() {}

    public static void bind(MeterRegistry registry, ProxyServer proxy) {
        Gauge.builder("pgha.proxy.connections.active", proxy, ProxyServer::clientConnections)
                .description("Client connections open through the proxy")
                .register(registry);
        Gauge.builder("pgha.proxy.connections.held", proxy, ProxyServer::heldConnections)
                .description("Client connections waiting for a leader")
                .register(registry);
        FunctionCounter.builder("pgha.proxy.connections", proxy.counters(), ProxyCounters::acceptedTotal)
                .description("Client connections accepted by the proxy")
                .register(registry);
        FunctionCounter.builder("pgha.proxy.refused", proxy.counters(), ProxyCounters::refusedTotal)
                .description("Client connections refused (no leader in time, too many connections)")
                .register(registry);
        FunctionCounter.builder("pgha.proxy.bytes", proxy.counters(), ProxyCounters::bytesFromClients)
                .tag("direction", "in")
                .description("Bytes relayed by the proxy")
                .register(registry);
        FunctionCounter.builder("pgha.proxy.bytes", proxy.counters(), ProxyCounters::bytesToClients)
                .tag("direction", "out")
                .description("Bytes relayed by the proxy")
                .register(registry);
    }
}
