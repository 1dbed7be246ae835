package dev.pgha.common.config;

/**
 * One voter of an embedded ZooKeeper ensemble, as written in PGHA_ZK_ENSEMBLE with ZooKeeper's own server syntax:
 * {@code id=host:peerPort:electionPort;clientPort} (or {@code ;clientHost:clientPort}).
 */
public record ZkPeer(int id, String host, int peerPort, int electionPort, String clientHost, int clientPort) {

    /** The {@code server.N} value ZooKeeper's configuration expects. */
    public String serverLine() {
        return host + ":" + peerPort + ":" + electionPort + ";" + clientHost + ":" + clientPort;
    }

    /** host:clientPort, how clients reach this peer (a wildcard client address is reached via the peer host). */
    public String clientAddress() {
        String h = clientHost.equals("0.0.0.0") ? host : clientHost;
        return (h.contains(":") ? "[" + h + "]" : h) + ":" + clientPort;
    }
}
