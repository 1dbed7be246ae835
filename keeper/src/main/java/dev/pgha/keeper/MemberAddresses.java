package dev.pgha.keeper;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.Collection;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The IP addresses of members' registered hosts, for pg_hba.conf. An IP literal is its own address; a name is looked up
 * on a thread of its own ("keeper-dns"), never on the keeper's loop, which must not wait on a slow resolver, and
 * again every {@link #REFRESH}: a member replaced by a new container keeps its name but not its address. Until a
 * name's first answer, it has no address (replication from it is refused, and its clone retries).
 */
final class MemberAddresses implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(MemberAddresses.class);
    static final Duration REFRESH = Duration.ofSeconds(5);
    private static final Pattern IPV4 = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");

    private record Lookup(Set<String> addresses, long atNanos) {}

    private final Map<String, Lookup> names = new ConcurrentHashMap<>();
    private final Set<String> inFlight = ConcurrentHashMap.newKeySet();
    private final Set<String> unresolvable = ConcurrentHashMap.newKeySet(); // said so once
    private final ExecutorService resolver =
            new ThreadPoolExecutor(1, 1, 30, TimeUnit.SECONDS, new LinkedBlockingQueue<>(64), r -> {
                Thread t = new Thread(r, "keeper-dns");
                t.setDaemon(true);
                return t;
            });

    MemberAddresses() {
        ((ThreadPoolExecutor) resolver).allowCoreThreadTimeOut(true);
    }

    /** The addresses of {@code hosts} as known now (names: the last answer); asks again for names due a refresh. */
    Set<String> of(Collection<String> hosts) {
        Set<String> out = new TreeSet<>();
        for (String host : hosts) {
            if (ipLiteral(host)) {
                out.add(host);
                continue;
            }
            Lookup known = names.get(host);
            if (known != null) {
                out.addAll(known.addresses());
            }
            if (known == null || System.nanoTime() - known.atNanos() > REFRESH.toNanos()) {
                refresh(host);
            }
        }
        return out;
    }

    /** An IP address written out (IPv4 dotted quad, or IPv6 with ':'): its own address, never looked up. */
    static boolean ipLiteral(String host) {
        return IPV4.matcher(host).matches() || host.contains(":");
    }

    private void refresh(String host) {
        if (!inFlight.add(host)) {
            return;
        }
        try {
            resolver.execute(() -> {
                try {
                    names.put(host, new Lookup(resolve(host), System.nanoTime()));
                } finally {
                    inFlight.remove(host);
                }
            });
        } catch (RejectedExecutionException e) {
            inFlight.remove(host); // closed, or many names at once: asked again next time
        }
    }

    private Set<String> resolve(String host) {
        Set<String> out = new TreeSet<>();
        try {
            for (InetAddress a : InetAddress.getAllByName(host)) {
                out.add(a.getHostAddress().replaceFirst("%.*$", ""));
            }
            unresolvable.remove(host);
        } catch (UnknownHostException e) {
            if (unresolvable.add(host)) {
                log.warn("member host {} does not resolve: replication from it is not allowed", host);
            }
        }
        return out;
    }

    @Override
    public void close() {
        resolver.shutdownNow();
    }
}
