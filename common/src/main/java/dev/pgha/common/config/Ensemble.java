package dev.pgha.common.config;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Parses and checks PGHA_ZK_ENSEMBLE (store.ensemble) and PGHA_ZK_MYID (store.myId), and PGHA_JOIN beside them. */
final class Ensemble {
    private static final String SYNTAX = "ZooKeeper's server syntax joined by commas, e.g. "
            + "1=10.0.0.1:2888:3888;2181,2=10.0.0.2:2888:3888;2181,3=10.0.0.3:2888:3888;2181";
    private static final Pattern ENTRY = Pattern.compile(
            "(\\d{1,3})=([A-Za-z0-9][A-Za-z0-9.-]*):(\\d{1,5}):(\\d{1,5});(?:([A-Za-z0-9][A-Za-z0-9.-]*):)?(\\d{1,5})");

    private Ensemble() {}

    static List<ZkPeer> parse(Settings s, String path) {
        Optional<String> raw = s.optional(path);
        if (raw.isEmpty()) {
            return List.of();
        }
        List<ZkPeer> peers = new ArrayList<>();
        Set<Integer> ids = new HashSet<>();
        for (String entry : raw.get().split(",")) {
            Matcher m = ENTRY.matcher(entry.strip());
            if (!m.matches()) {
                throw s.invalid(path, SYNTAX + " (cannot read \"" + entry.strip() + "\")");
            }
            int id = Integer.parseInt(m.group(1));
            if (id < 1 || id > 255 || !ids.add(id)) {
                throw s.invalid(path, SYNTAX + " with distinct ids 1-255 (id " + id + " is out of range or repeated)");
            }
            int peer = port(s, path, m.group(3));
            int election = port(s, path, m.group(4));
            int client = port(s, path, m.group(6));
            String clientHost = m.group(5) == null ? "0.0.0.0" : m.group(5);
            peers.add(new ZkPeer(id, m.group(2), peer, election, clientHost, client));
        }
        return peers;
    }

    private static int port(Settings s, String path, String digits) {
        int p = Integer.parseInt(digits);
        if (p < 1 || p > 65535) {
            throw s.invalid(path, SYNTAX + " (port " + p + " is not 1-65535)");
        }
        return p;
    }

    /** Cross-checks: one store placement only, and this node's id names an entry. */
    static void check(Settings s, PghaConfig.Store store) {
        if (store.join().isPresent() && store.connect().isPresent()) {
            throw new InvalidConfigException(s.label("store.join") + " adds this node to the members' embedded "
                    + "ZooKeeper, but " + s.label("store.connect") + " names an external one: on an external "
                    + "ZooKeeper a new node joins by connecting to it; unset " + s.label("store.join"));
        }
        if (store.join().isPresent() && store.quorum()) {
            throw new InvalidConfigException(s.label("store.join") + " and " + s.label("store.ensemble")
                    + " are both set: a node joins a running cluster (PGHA_JOIN) or is listed in the ensemble "
                    + "from the start (PGHA_ZK_ENSEMBLE), not both");
        }
        if (!store.quorum()) {
            if (store.myId() != 0) {
                throw new InvalidConfigException(s.label("store.myId") + " is set but PGHA_ZK_ENSEMBLE (store.ensemble)"
                        + " is empty: set both to run one peer of an embedded ZooKeeper ensemble");
            }
            return;
        }
        if (store.connect().isPresent()) {
            throw new InvalidConfigException(s.label("store.connect") + " and " + s.label("store.ensemble")
                    + " are both set: use an external ZooKeeper or the embedded ensemble, not both");
        }
        if (store.ensemble().size() < 3) {
            throw new InvalidConfigException(
                    s.label("store.ensemble") + " lists " + store.ensemble().size()
                            + " peer(s): an ensemble needs at least 3 voters to survive the loss of one (add a witness node, "
                            + "`pgha start --witness`, as the third)");
        }
        if (store.self().isEmpty()) {
            throw new InvalidConfigException(
                    s.label("store.myId") + " (" + store.myId() + ") does not name an entry of "
                            + s.label("store.ensemble") + ": set PGHA_ZK_MYID to this node's id in the ensemble");
        }
    }
}
