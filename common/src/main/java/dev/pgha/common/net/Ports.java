package dev.pgha.common.net;

import dev.pgha.common.PghaException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;

/** Port checks done before anything starts, so a taken port is reported by name instead of half-way through. */
public final class Ports {
    private Ports() {}

    /**
     * Fails with a message naming {@code label} (e.g. "PG_PROXY_PORT") when something already listens on
     * {@code port} on any address.
     */
    public static void requireFree(String host, int port, String label) {
        try (ServerSocket socket = new ServerSocket()) {
            socket.setReuseAddress(true);
            socket.bind(host == null ? new InetSocketAddress(port) : new InetSocketAddress(host, port));
        } catch (IOException e) {
            throw inUse(port, label);
        }
    }

    public static PghaException inUse(int port, String label) {
        return new PghaException("port " + port + " (" + label + ") is already in use: stop what listens there, or set "
                + label + " to a free port");
    }
}
