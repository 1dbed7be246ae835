package dev.pgha.proxy;

import io.netty.channel.Channel;
import io.netty.util.AttributeKey;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Counts, per client address, the connections that have not authenticated yet: each one holds a postgres backend
 * (forked for it) until it authenticates or postgres's authentication_timeout closes it, so without a bound one
 * client could use up max_connections for everyone. A connection stops counting when it has authenticated (as far
 * as the proxy can tell: {@link MessageFraming#authenticated()}), when it closes, or after {@link #WINDOW}, since
 * postgres ends any that has not authenticated by then (authentication_timeout, which pgha sets to the same 10 s).
 * Safe from any thread.
 */
final class PreAuthentication {
    static final Duration WINDOW = Duration.ofSeconds(10);
    private static final AttributeKey<Slot> SLOT = AttributeKey.valueOf("pgha.preAuthentication");

    private final int maxPerAddress;
    private final ConcurrentHashMap<InetAddress, Integer> counts = new ConcurrentHashMap<>();

    private record Slot(InetAddress address, ScheduledFuture<?> expiry) {}

    PreAuthentication(int maxPerAddress) {
        this.maxPerAddress = maxPerAddress;
    }

    static InetAddress address(Channel client) {
        return ((InetSocketAddress) client.remoteAddress()).getAddress();
    }

    /** Counts {@code client} against its address; false (and not counted) when the address is at its limit. */
    boolean admit(Channel client) {
        InetAddress a = address(client);
        boolean[] admitted = {false};
        counts.compute(a, (k, n) -> {
            int now = n == null ? 0 : n;
            if (now >= maxPerAddress) {
                return n;
            }
            admitted[0] = true;
            return now + 1;
        });
        if (!admitted[0]) {
            return false;
        }
        ScheduledFuture<?> expiry =
                client.eventLoop().schedule(() -> release(client), WINDOW.toMillis(), TimeUnit.MILLISECONDS);
        client.attr(SLOT).set(new Slot(a, expiry));
        client.closeFuture().addListener(f -> release(client));
        return true;
    }

    /** {@code client} no longer counts (authenticated, closed or past the window); once. */
    void release(Channel client) {
        Slot slot = client.attr(SLOT).getAndSet(null);
        if (slot == null) {
            return;
        }
        slot.expiry().cancel(false);
        counts.computeIfPresent(slot.address(), (k, n) -> n > 1 ? n - 1 : null);
    }

    /** Connections from {@code address} counted now. */
    int count(InetAddress address) {
        return counts.getOrDefault(address, 0);
    }
}
