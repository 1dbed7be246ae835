package dev.pgha.store;

import com.fasterxml.jackson.databind.JavaType;
import dev.pgha.common.model.ClusterSpec;
import dev.pgha.common.model.ClusterView;
import dev.pgha.common.model.Json;
import dev.pgha.common.model.KeeperStatus;
import dev.pgha.common.model.MemberInfo;
import dev.pgha.common.model.OperatorRequest;
import dev.pgha.common.model.ProxyStatus;
import dev.pgha.common.store.ClusterSnapshot;
import dev.pgha.common.store.StoreException;
import dev.pgha.common.store.Versioned;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.function.LongSupplier;
import java.util.stream.Stream;
import org.apache.curator.RetryLoop;
import org.apache.curator.framework.CuratorFramework;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.Op;
import org.apache.zookeeper.OpResult;
import org.apache.zookeeper.data.Stat;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads a {@link ClusterSnapshot} in one round trip while the membership stays as it was: the values, the child
 * lists and the value of every child the last read found, in one multi-read; a second round trip reads only the
 * children that are new since. A multi-read is answered by one server in one go, so the first is a consistent cut.
 * ZooKeeper before 3.6 has no multi-read: then each node is read on its own.
 */
final class SnapshotReader {
    private static final Logger log = LoggerFactory.getLogger(SnapshotReader.class);
    private static final JavaType VIEW = type(ClusterView.class);
    private static final JavaType SPEC = type(ClusterSpec.class);
    private static final JavaType REQUEST = type(OperatorRequest.class);
    private static final JavaType PARAMETERS =
            Json.mapper().getTypeFactory().constructMapType(TreeMap.class, String.class, String.class);

    private final CuratorFramework client;
    private final StorePaths paths;
    private volatile boolean oneByOne; // the server has no multi-read
    /** What the last read found (a guess for the next: it is checked against the lists read with it). */
    private volatile Children known = Children.NONE;
    /**
     * The values the last reads parsed, by path, with the bytes they were parsed from: the same bytes are not parsed
     * again. Each member's keeper and sentinel read a snapshot several times a second, and most of it (the view, the
     * spec, every member's record) changes only now and then; the records are immutable, so snapshots share them.
     */
    private final ConcurrentHashMap<String, Parsed> parsed = new ConcurrentHashMap<>();

    private record Parsed(byte[] data, Object value) {}

    SnapshotReader(CuratorFramework client, StorePaths paths) {
        this.client = client;
        this.paths = paths;
    }

    private static JavaType type(Class<?> c) {
        return Json.mapper().constructType(c);
    }

    /**
     * @param session the client's session before the read (0: none), and a supplier of it after: a snapshot is
     *                attributed to a session only when both are the same, i.e. every request of it ran on that session.
     *                Curator repeats a request on a new session when the old one expires meanwhile, and a snapshot
     *                tagged with the old one would renew that session's lease after it ended.
     */
    ClusterSnapshot read(LongSupplier session) {
        long sessionBefore = session.getAsLong();
        long sent = System.nanoTime();
        List<Op> ops = new ArrayList<>(List.of(
                Op.getData(paths.view()),
                Op.getData(paths.spec()),
                Op.getData(paths.request()),
                Op.getData(paths.parameters()),
                Op.getChildren(paths.members()),
                Op.getChildren(paths.keepers()),
                Op.getChildren(paths.proxies()),
                Op.getChildren(paths.witnesses()),
                Op.getChildren(paths.restarts()),
                Op.getChildren(paths.reinits())));
        int fixed = ops.size();
        // The children the last read found, read in the same request: the second round trip is only for newcomers.
        known.paths(paths).forEach(path -> ops.add(Op.getData(path)));
        List<OpResult> first = run(ops);
        Children found = new Children(
                children(first.get(4)), children(first.get(5)), children(first.get(6)), children(first.get(7)));
        Map<String, OpResult> values = new HashMap<>();
        for (int i = fixed; i < ops.size(); i++) {
            values.put(ops.get(i).getPath(), first.get(i));
        }
        List<Op> newcomers = found.paths(paths)
                .filter(path -> !values.containsKey(path))
                .map(Op::getData)
                .toList();
        if (!newcomers.isEmpty()) {
            List<OpResult> second = run(newcomers);
            for (int i = 0; i < newcomers.size(); i++) {
                values.put(newcomers.get(i).getPath(), second.get(i));
            }
        }
        known = found;
        Optional<Versioned<Map<String, String>>> parameters = value(paths.parameters(), first.get(3), PARAMETERS);
        ClusterSnapshot snapshot = new ClusterSnapshot(
                value(paths.view(), first.get(0), VIEW),
                value(paths.spec(), first.get(1), SPEC),
                parseChildren(paths.members(), found.members(), paths::member, values, MemberInfo.class),
                parseChildren(paths.keepers(), found.keepers(), paths::keeper, values, KeeperStatus.class),
                parseChildren(paths.proxies(), found.proxies(), paths::proxy, values, ProxyStatus.class),
                parseChildren(paths.witnesses(), found.witnesses(), paths::witness, values, Instant.class),
                value(paths.request(), first.get(2), REQUEST),
                parameters.map(Versioned::value).orElse(Map.of()),
                new TreeSet<>(children(first.get(8))),
                new TreeSet<>(children(first.get(9))),
                session.getAsLong() == sessionBefore ? sessionBefore : 0,
                sent);
        // what is gone from the store (a removed member's records) is forgotten
        Set<String> read = new HashSet<>(values.keySet());
        ops.forEach(op -> read.add(op.getPath()));
        parsed.keySet().retainAll(read);
        return snapshot;
    }

    /** The registered members, keepers, proxies and witnesses one read found. */
    private record Children(List<String> members, List<String> keepers, List<String> proxies, List<String> witnesses) {
        static final Children NONE = new Children(List.of(), List.of(), List.of(), List.of());

        Stream<String> paths(StorePaths paths) {
            return Stream.of(
                            members.stream().map(paths::member),
                            keepers.stream().map(paths::keeper),
                            proxies.stream().map(paths::proxy),
                            witnesses.stream().map(paths::witness))
                    .flatMap(s -> s);
        }
    }

    /** One value with its version, for a compare-and-set; empty when there is none. */
    <T> Optional<Versioned<T>> readVersioned(String path, JavaType type) {
        Stat stat = new Stat();
        byte[] data;
        try {
            data = client.getData().storingStatIn(stat).forPath(path);
        } catch (KeeperException.NoNodeException e) {
            return Optional.empty();
        } catch (Exception e) {
            throw new StoreException("cannot read " + path, e);
        }
        return Optional.of(ZooKeeperStore.versioned(ZooKeeperStore.parse(path, data, type), stat));
    }

    private List<OpResult> run(List<Op> ops) {
        try {
            if (!oneByOne) {
                try {
                    return RetryLoop.callWithRetry(
                            client.getZookeeperClient(),
                            () -> client.getZookeeperClient().getZooKeeper().multi(ops));
                } catch (KeeperException.UnimplementedException | KeeperException.MarshallingErrorException e) {
                    log.info("ZooKeeper has no multi-read (it is older than 3.6): reading one node at a time");
                    oneByOne = true;
                }
            }
            List<OpResult> results = new ArrayList<>();
            for (Op op : ops) {
                results.add(RetryLoop.callWithRetry(client.getZookeeperClient(), () -> single(op)));
            }
            return results;
        } catch (Exception e) {
            throw new StoreException("cannot read the cluster state", e);
        }
    }

    /** The result a multi-read would give for one read. */
    private OpResult single(Op op) throws Exception {
        try {
            if (op instanceof Op.GetChildren) {
                return new OpResult.GetChildrenResult(client.getChildren().forPath(op.getPath()));
            }
            Stat stat = new Stat();
            byte[] data = client.getData().storingStatIn(stat).forPath(op.getPath());
            return new OpResult.GetDataResult(data, stat);
        } catch (KeeperException.NoNodeException e) {
            return new OpResult.ErrorResult(KeeperException.Code.NONODE.intValue());
        }
    }

    private static List<String> children(OpResult r) {
        return r instanceof OpResult.GetChildrenResult c ? c.getChildren() : List.of();
    }

    private <T> Optional<Versioned<T>> value(String path, OpResult r, JavaType type) {
        if (r instanceof OpResult.GetDataResult d) {
            T value = parsed(path, d.getData(), data -> ZooKeeperStore.parse(path, data, type));
            return Optional.of(ZooKeeperStore.versioned(value, d.getStat()));
        }
        if (r instanceof OpResult.ErrorResult e && e.getErr() != KeeperException.Code.NONODE.intValue()) {
            throw new StoreException(
                    "cannot read " + path, KeeperException.create(KeeperException.Code.get(e.getErr())));
        }
        return Optional.empty();
    }

    /** Children that vanished between the two reads are left out; an unreadable one is skipped with a warning. */
    private <T> Map<String, T> parseChildren(
            String parent,
            List<String> names,
            Function<String, String> pathOf,
            Map<String, OpResult> values,
            Class<T> type) {
        Map<String, T> map = new TreeMap<>();
        for (String name : names) {
            String path = pathOf.apply(name);
            if (values.get(path) instanceof OpResult.GetDataResult d) {
                try {
                    map.put(name, parsed(path, d.getData(), data -> Json.read(data, type)));
                } catch (UncheckedIOException e) {
                    log.warn(
                            "ignoring unreadable {}/{}: {}",
                            parent,
                            name,
                            e.getCause().getMessage());
                }
            }
        }
        return map;
    }

    /** The value {@code data} at {@code path} parses to: the one parsed before when the bytes are the same. */
    @SuppressWarnings("unchecked") // a path holds one type of value
    private <T> T parsed(String path, byte[] data, Function<byte[], T> parse) {
        Parsed before = parsed.get(path);
        if (before != null && Arrays.equals(before.data(), data)) {
            return (T) before.value();
        }
        T value = parse.apply(data);
        parsed.put(path, new Parsed(data, value));
        return value;
    }
}
