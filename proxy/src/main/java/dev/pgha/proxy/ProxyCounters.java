package dev.pgha.proxy;

import java.util.concurrent.atomic.LongAdder;

/** What a proxy has done since it started: connections accepted and refused, bytes relayed each way. */
public final class ProxyCounters {
    private final LongAdder accepted = new LongAdder();
    private final LongAdder refused = new LongAdder();
    private final LongAdder bytesFromClients = new LongAdder();
    private final LongAdder bytesToClients = new LongAdder();

    void accepted() {
        accepted.increment();
    }

    void refused() {
        refused.increment();
    }

    void fromClient(int bytes) {
        bytesFromClients.add(bytes);
    }

    void toClient(int bytes) {
        bytesToClients.add(bytes);
    }

    /** Client connections accepted. */
    public long acceptedTotal() {
        return accepted.sum();
    }

    /** Client connections refused (no leader in time, too many connections, no word from the store). */
    public long refusedTotal() {
        return refused.sum();
    }

    /** Bytes relayed from clients to postgres. */
    public long bytesFromClients() {
        return bytesFromClients.sum();
    }

    /** Bytes relayed from postgres to clients. */
    public long bytesToClients() {
        return bytesToClients.sum();
    }
}
