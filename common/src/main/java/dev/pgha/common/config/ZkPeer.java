package dev.pgha.common.config;

/**
 * One server of an embedded ZooKeeper ensemble, as written in PGHA_ZK_ENSEMBLE with ZooKeeper's own server syntax:
 * {@code id=host:peerPort:electionPort;clientPort} (or {@code ;clientHost:clientPort}). An observer follows the
 * ensemble without voting.
 */
public record ZkPeer(
        int id, String host, int peerPort, int electionPort, String clientHost, int clientPort, boolean observer) {

    /** A voter. */
    public ZkPeer(int id, String host, int peerPort, int electionPort, String clientHost, int clientPort) {
        this(id, host, peerPort, electionPort, clientHost, clientPort, false);
    }

    /** The {@code server.N} value ZooKeeper's configuration expects. */
    public String serverLine() {
        return quorumAddresses() + ";" + bracket(clientHost) + ":" + clientPort;
    }

    /** The {@code server.N} value without a client address (with TLS the client port is secure and set apart). */
    public String quorumAddresses() {
        return bracket(host) + ":" + peerPort + ":" + electionPort + ":" + (observer ? "observer" : "participant");
    }

    /** host:clientPort, how clients reach this peer (a wildcard client address is reached via the peer host). */
    public String clientAddress() {
        String h = clientHost.equals("0.0.0.0") ? host : clientHost;
        return bracket(h) + ":" + clientPort;
    }

    /** The same server as a voter or an observer. */
    public ZkPeer withObserver(boolean observer) {
        return new ZkPeer(id, host, peerPort, electionPort, clientHost, clientPort, observer);
    }

    /** IPv6 addresses are written in brackets wherever a port follows. */
    public static String bracket(String host) {
        return host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host;
    }
}
