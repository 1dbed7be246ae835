package dev.pgha.proxy;

import java.time.Duration;

/**
 * How a {@link ProxyServer} treats its clients.
 *
 * @param connectTimeout  for connecting to postgres
 * @param threads         event loops; 0 = one per core
 * @param holdTimeout     how long a new connection waits for a leader during a failover
 * @param maxHeld         connections held at once; beyond, new ones are refused at once
 * @param maxConnections  client connections at once; beyond, new ones get 53300
 * @param keepOnReroute   false: a connection whose destination is no longer routed to is closed (the
 *                        leader's port); true: it stays until its destination goes away (the read-only port,
 *                        where a standby briefly lagging must not cut its readers off)
 * @param maxUnauthenticatedPerAddress connections from one address not yet authenticated; beyond, 53300
 */
public record ProxySettings(
        Duration connectTimeout,
        int threads,
        Duration holdTimeout,
        int maxHeld,
        int maxConnections,
        boolean keepOnReroute,
        int maxUnauthenticatedPerAddress) {
    public ProxySettings(
            Duration connectTimeout,
            int threads,
            Duration holdTimeout,
            int maxHeld,
            int maxConnections,
            boolean keepOnReroute) {
        this(connectTimeout, threads, holdTimeout, maxHeld, maxConnections, keepOnReroute, 256);
    }

    public ProxySettings readOnly() {
        return new ProxySettings(
                connectTimeout, threads, holdTimeout, maxHeld, maxConnections, true, maxUnauthenticatedPerAddress);
    }
}
