package dev.pgha.common.request;

import dev.pgha.common.PghaException;
import dev.pgha.common.model.ClusterView;
import dev.pgha.common.model.OperatorRequest;
import dev.pgha.common.model.Phase;
import dev.pgha.common.store.ClusterSnapshot;
import dev.pgha.common.store.ClusterStore;
import dev.pgha.common.store.Versioned;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import java.util.Optional;
import java.util.UUID;

/**
 * The requesting side of the operator-request protocol, used by the CLI and by a daemon handing leadership over
 * before it stops: submits a switchover or forced failover to the elected sentinel through the store and follows it
 * to the end: refused (with the sentinel's reason), done (the target leads), or given up on. The sentinel's side is
 * its request handling; the protocol is described in docs/architecture.md.
 */
public final class LeaderRequest {
    private static final Duration POLL = Duration.ofMillis(50);

    /**
     * How a completed request went: who leads, and how long clients were held (the view out of NORMAL, by the
     * sentinel's clock; null when the requester did not see that moment).
     */
    public record Outcome(String from, String to, long generation, Duration held) {}

    private LeaderRequest() {}

    public static Outcome run(ClusterStore store, OperatorRequest.Kind kind, String target, Duration timeout) {
        ClusterView before = store.view()
                .map(Versioned::value)
                .orElseThrow(() -> new PghaException("the cluster has no state in the store yet"));
        OperatorRequest request = new OperatorRequest(
                UUID.randomUUID().toString(), kind, target, OperatorRequest.State.PENDING, null, 0, Instant.now());
        if (!store.createRequest(request)) {
            String pending =
                    store.snapshot().request().map(v -> describe(v.value())).orElse("one");
            throw new PghaException("another request is under way (" + pending + "); wait for it to finish");
        }
        OperatorRequest answered = awaitAnswer(store, request, before);
        if (answered.state() == OperatorRequest.State.REFUSED) {
            withdraw(store, request);
            throw new PghaException(kind.word() + " refused: " + answered.reason());
        }
        Instant deadline = Instant.now().plus(timeout);
        Instant leftNormal = null; // when the view first left NORMAL for this request: clients held from then on
        while (Instant.now().isBefore(deadline)) {
            ClusterView view = store.view().map(Versioned::value).orElse(before);
            if (view.generation() > answered.generation() && view.phase() != Phase.NORMAL && leftNormal == null) {
                leftNormal = view.updatedAt();
            }
            if (view.phase() == Phase.NORMAL && view.generation() > answered.generation()) {
                if (!answered.target().equals(view.leader())) {
                    throw new PghaException(
                            kind.word() + " to " + answered.target() + " did not complete: " + view.explanation());
                }
                Duration held = leftNormal == null ? null : Duration.between(leftNormal, view.updatedAt());
                return new Outcome(before.leader(), view.leader(), view.generation(), held);
            }
            sleep();
        }
        ClusterView now = store.view().map(Versioned::value).orElse(before);
        throw new PghaException(kind.word() + " to " + answered.target() + " has not completed after "
                + timeout.toSeconds() + " s; the cluster is in phase " + now.phase()
                + (now.reason() == null ? "" : ": " + now.explanation()));
    }

    private static OperatorRequest awaitAnswer(ClusterStore store, OperatorRequest request, ClusterView before) {
        Instant deadline = Instant.now().plus(RequestTimeouts.ANSWER);
        while (Instant.now().isBefore(deadline)) {
            ClusterSnapshot s = store.snapshot();
            Optional<Versioned<OperatorRequest>> v = s.request();
            if (v.isEmpty() || !v.get().value().id().equals(request.id())) {
                // The sentinel removes an accepted request once the cluster is NORMAL again: a quick hand-over can
                // end between two looks (a requester slowed down, a leaderless cluster's forced failover).
                return carriedOut(request, before, s.view())
                        .orElseThrow(
                                () -> new PghaException("the request disappeared before the sentinel answered it"));
            }
            if (v.get().value().state() != OperatorRequest.State.PENDING) {
                return v.get().value();
            }
            sleep();
        }
        withdraw(store, request);
        throw new PghaException("no sentinel answered within " + RequestTimeouts.ANSWER.toSeconds()
                + " s: is pgha running on the members (pgha status)?");
    }

    /**
     * The request as accepted, if the view shows it carried out although it is gone: a newer NORMAL generation than
     * {@code before} in which its target (for a switchover without one: another member than before) leads.
     */
    static Optional<OperatorRequest> carriedOut(OperatorRequest request, ClusterView before, ClusterView now) {
        boolean done = now != null
                && now.generation() > before.generation()
                && now.phase() == Phase.NORMAL
                && now.leader() != null
                && (request.target() != null
                        ? request.target().equals(now.leader())
                        : !now.leader().equals(before.leader()));
        return done ? Optional.of(request.accept(now.leader(), "carried out", before.generation())) : Optional.empty();
    }

    /** Removes {@code request} if it is still the stored one. */
    private static void withdraw(ClusterStore store, OperatorRequest request) {
        store.snapshot()
                .request()
                .filter(v -> v.value().id().equals(request.id()))
                .ifPresent(v -> store.deleteRequest(v.version()));
    }

    private static String describe(OperatorRequest r) {
        return r.kind().word() + (r.target() == null ? "" : " to " + r.target()) + ", "
                + r.state().name().toLowerCase(Locale.ROOT);
    }

    private static void sleep() {
        try {
            Thread.sleep(POLL.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new PghaException("interrupted");
        }
    }
}
