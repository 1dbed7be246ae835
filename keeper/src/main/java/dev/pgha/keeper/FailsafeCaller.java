package dev.pgha.keeper;

import dev.pgha.common.failsafe.Failsafe;
import dev.pgha.common.model.MemberInfo;
import dev.pgha.common.store.ClusterSnapshot;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import javax.net.ssl.SSLContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A leader's side of failsafe mode. While this member leads and its store lease is in doubt (not renewed for a
 * quarter of the session timeout), it asks every other registered member, several times per session timeout, for a
 * promise not to promote; when all of them promise, the leader's {@link Failsafe} standing extends to a lease from
 * when the round was sent, and the keeper keeps serving without the store until then. Also the watchdog of the
 * store lease: a serving primary whose lease ran out without a standing is stopped at once (immediate shutdown),
 * even while the keeper's own loop waits on the store.
 */
final class FailsafeCaller implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(FailsafeCaller.class);

    private final String memberId;
    private final boolean enabled;
    private final FailsafeWire wire;
    private final Failsafe failsafe;
    private final StoreContact contact;
    private final Supplier<ClusterSnapshot> snapshot;
    private final BooleanSupplier leading;
    private final Runnable fenceNow;
    private final Runnable onChange;
    private final Duration timeout;
    private final HttpClient http;
    private final String scheme;
    private final ScheduledExecutorService timer;
    private String lastProblem; // owned by the timer thread
    private boolean wasStanding;

    /**
     * @param leading  this member's postgres serves as the cluster's primary right now
     * @param fenceNow stops the local postgres at once, from any thread
     * @param onChange the standing began or ended (the keeper looks again)
     * @param tls      the operator's certificates as a client context: requests go over mutual TLS; null: plain HTTP
     */
    FailsafeCaller(
            String memberId,
            boolean enabled,
            FailsafeWire wire,
            Failsafe failsafe,
            StoreContact contact,
            Supplier<ClusterSnapshot> snapshot,
            BooleanSupplier leading,
            Runnable fenceNow,
            Runnable onChange,
            SSLContext tls) {
        this.memberId = memberId;
        this.enabled = enabled;
        this.wire = wire;
        this.failsafe = failsafe;
        this.contact = contact;
        this.snapshot = snapshot;
        this.leading = leading;
        this.fenceNow = fenceNow;
        this.onChange = onChange;
        this.timeout = failsafe.lease().dividedBy(4);
        HttpClient.Builder http = HttpClient.newBuilder().connectTimeout(timeout);
        this.http = tls == null ? http.build() : http.sslContext(tls).build();
        this.scheme = tls == null ? "http://" : "https://";
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "failsafe");
            t.setDaemon(true);
            return t;
        });
    }

    FailsafeCaller start() {
        long period = Math.max(50, failsafe.lease().toMillis() / 8);
        timer.scheduleWithFixedDelay(this::beat, period, period, TimeUnit.MILLISECONDS);
        return this;
    }

    private void beat() {
        try {
            if (!leading.getAsBoolean()) {
                failsafe.withdraw();
                lastProblem = null;
            } else if (contact.inDoubt()) {
                if (enabled) {
                    askEveryone();
                }
                if (contact.cutOff() != null && !failsafe.standing(System.nanoTime())) {
                    fenceNow.run();
                }
            } else {
                failsafe.withdraw(); // the store answers: the view decides again
                lastProblem = null;
            }
            boolean standing = failsafe.standing(System.nanoTime());
            if (standing != wasStanding) {
                wasStanding = standing;
                onChange.run();
            }
        } catch (RuntimeException e) {
            log.warn("failsafe: {}", e.toString());
        }
    }

    private void askEveryone() {
        ClusterSnapshot s = snapshot.get();
        Map<String, MemberInfo> others = new TreeMap<>(s.members());
        others.remove(memberId);
        if (others.isEmpty()) {
            return; // a single member: nobody could promote, and nobody to ask
        }
        long sent = System.nanoTime();
        long generation = s.view().generation();
        Map<String, CompletableFuture<String>> asks = new TreeMap<>();
        others.forEach((id, m) -> asks.put(id, ask(m, wire.ask(memberId, generation, id))));
        List<String> problems = new ArrayList<>();
        asks.forEach((id, answer) -> {
            String problem;
            try {
                problem = answer.get(timeout.toMillis() * 2, TimeUnit.MILLISECONDS);
            } catch (Exception e) {
                problem = "no answer within " + timeout.toMillis() + " ms";
            }
            if (problem != null) {
                problems.add(id + ": " + problem);
            }
        });
        if (problems.isEmpty()) {
            failsafe.confirmed(sent);
            report(null, others.size());
        } else {
            report(String.join("; ", problems), others.size());
        }
    }

    /** Asks one member; completes with null when it promised, else with why not. */
    private CompletableFuture<String> ask(MemberInfo m, FailsafeWire.Ask ask) {
        if (m.host() == null || m.httpPort() <= 0) {
            return CompletableFuture.completedFuture("its address is not registered");
        }
        HttpRequest request = HttpRequest.newBuilder(
                        URI.create(scheme + hostForUri(m.host()) + ":" + m.httpPort() + FailsafeWire.PATH))
                .timeout(timeout)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(FailsafeWire.write(ask)))
                .build();
        return http.sendAsync(request, HttpResponse.BodyHandlers.ofByteArray())
                .thenApply(r -> {
                    if (r.statusCode() != 200) {
                        return "HTTP " + r.statusCode();
                    }
                    FailsafeWire.Answer a = FailsafeWire.read(r.body(), FailsafeWire.Answer.class);
                    if (!wire.answers(a, ask)) {
                        return "an answer not signed by this cluster's members";
                    }
                    return a.granted() ? null : "refused: " + a.reason();
                })
                .exceptionally(e -> "unreachable ("
                        + (e.getCause() == null ? e : e.getCause()).getClass().getSimpleName() + ")");
    }

    private static String hostForUri(String host) {
        return host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host;
    }

    private void report(String problem, int members) {
        if (problem == null && (lastProblem != null || !wasStanding)) {
            log.warn(
                    "failsafe: the cluster store does not answer; all {} other members promised not to promote, so "
                            + "this leader keeps serving",
                    members);
        } else if (problem != null && !problem.equals(lastProblem)) {
            log.warn(
                    "failsafe: the cluster store does not answer and not every member promised ({}); this leader "
                            + "stops taking writes when its store lease runs out",
                    problem);
        }
        lastProblem = problem;
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
