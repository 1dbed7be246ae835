package dev.pgha.common.store;

import dev.pgha.common.config.ZkPeer;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The store's own servers as the store reports them (ZooKeeper's dynamic configuration): who votes, who observes,
 * and the configuration's version, which a change names so that two changes cannot cross.
 */
public record StoreEnsemble(long version, List<ZkPeer> servers) {
    private static final Pattern SERVER =
            Pattern.compile("server\\.(\\d{1,9})=(\\[[^\\]]+\\]|[^:\\[\\]]+):(\\d{1,5}):(\\d{1,5})"
                    + "(?::(participant|observer))?(?:;(?:(\\[[^\\]]+\\]|[^:;\\[\\]]+):)?(\\d{1,5}))?");
    private static final Pattern VERSION = Pattern.compile("version=([0-9a-fA-F]{1,16})");

    public StoreEnsemble {
        servers = servers.stream().sorted(Comparator.comparingInt(ZkPeer::id)).toList();
    }

    /**
     * Reads ZooKeeper's configuration text ({@code server.N=host:peer:election:role;client} lines and
     * {@code version=hex}); lines it does not know are skipped. A server line it cannot read is an error: a
     * decision on membership must not be made on a partial list.
     */
    public static StoreEnsemble parse(String text) {
        long version = 0;
        List<ZkPeer> servers = new ArrayList<>();
        for (String raw : text.split("\n")) {
            String line = raw.strip();
            Matcher v = VERSION.matcher(line);
            if (v.matches()) {
                version = Long.parseUnsignedLong(v.group(1), 16);
                continue;
            }
            if (!line.startsWith("server.")) {
                continue;
            }
            Matcher m = SERVER.matcher(line);
            if (!m.matches()) {
                throw new IllegalArgumentException("cannot read the store's server line \"" + line + "\"");
            }
            String host = unbracket(m.group(2));
            String clientHost = m.group(6) == null ? host : unbracket(m.group(6));
            int clientPort = m.group(7) == null ? 0 : Integer.parseInt(m.group(7));
            servers.add(new ZkPeer(
                    Integer.parseInt(m.group(1)),
                    host,
                    Integer.parseInt(m.group(3)),
                    Integer.parseInt(m.group(4)),
                    clientHost,
                    clientPort,
                    "observer".equals(m.group(5))));
        }
        return new StoreEnsemble(version, servers);
    }

    private static String unbracket(String host) {
        return host.startsWith("[") ? host.substring(1, host.length() - 1) : host;
    }

    public List<ZkPeer> voters() {
        return servers.stream().filter(s -> !s.observer()).toList();
    }

    public List<ZkPeer> observers() {
        return servers.stream().filter(ZkPeer::observer).toList();
    }

    public Optional<ZkPeer> server(int id) {
        return servers.stream().filter(s -> s.id() == id).findFirst();
    }

    /** The server listening at this peer address, if any (a node that joined before and lost its data). */
    public Optional<ZkPeer> serverAt(String host, int peerPort) {
        return servers.stream()
                .filter(s -> s.host().equalsIgnoreCase(host) && s.peerPort() == peerPort)
                .findFirst();
    }

    /**
     * The id a new server gets: one more than the highest in use or {@code retired} (a removed server that still
     * runs somewhere must never meet a new one under its id).
     */
    public int nextId(Set<Integer> retired) {
        int highest = servers.stream().mapToInt(ZkPeer::id).max().orElse(0);
        return Math.max(
                        highest,
                        retired.stream().mapToInt(Integer::intValue).max().orElse(0))
                + 1;
    }
}
