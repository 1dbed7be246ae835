package dev.pgha.proxy;

/** Where new client connections go: the leader's postgres, as of view generation {@code generation}. */
public record Route(long generation, String leader, String host, int port) {
    /** Same destination, whatever the generation: connections survive view changes that keep the leader. */
    public boolean sameLeader(Route other) {
        return other != null && leader.equals(other.leader) && host.equals(other.host) && port == other.port;
    }

    @Override
    public String toString() {
        return leader + " at " + host + ":" + port + " (generation " + generation + ")";
    }
}
