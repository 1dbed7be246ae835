package dev.pgha.app.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pgha.common.model.ClusterView;
import dev.pgha.common.model.MemberInfo;
import dev.pgha.common.secret.Secret;
import dev.pgha.common.store.InMemoryCluster;
import dev.pgha.common.store.InMemoryClusterStore;
import dev.pgha.net.HttpReply;
import dev.pgha.net.HttpRequestInfo;
import dev.pgha.net.HttpService;
import java.net.BindException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * `pgha status` through the local daemon: over a real HTTP server, the command takes the daemon's answer only when it
 * is signed with the cluster's key for the nonce it sent, and it is then what the command would have collected.
 */
class StatusWireTest {
    private static final byte[] KEY = StatusWire.key(Secret.of("the-store-secret"), "c1");
    private static final Duration TIMEOUT = Duration.ofSeconds(5);

    private final InMemoryClusterStore store = new InMemoryCluster().connect();
    private HttpService server;

    @BeforeEach
    void cluster() {
        store.compareAndSetView(ClusterView.initial(), Optional.empty());
        // registered, but no keeper reports: a member the status shows as down, with a warning
        store.register(new MemberInfo("node-1", "ams", "127.0.0.1", 5433, 5432, 1, Instant.now(), 1));
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    private int serve(Function<HttpRequestInfo, HttpReply> route) throws BindException {
        server = HttpService.listen(
                "status-test", "127.0.0.1", 0, Map.of(StatusWire.PATH, route), Map.of(), Map.of(), TIMEOUT, null);
        return server.port();
    }

    @Test
    void theDaemonsAnswerIsWhatTheCommandWouldHaveCollected() throws BindException {
        int port = serve(r -> StatusWire.answer(r, store, "c1", false, KEY));

        StatusWire.Answer answer = StatusWire.fetch(port, KEY, TIMEOUT).orElseThrow();

        ClusterStatus collected = StatusCollector.collect(store, "c1", Instant.now());
        assertThat(answer.status()).isEqualTo(collected);
        assertThat(StatusFormat.table(answer.status())).isEqualTo(StatusFormat.table(collected));
        assertThat(answer.status().members())
                .extracting(ClusterStatus.Member::id)
                .containsExactly("node-1");
        assertThat(answer.status().warnings()).anyMatch(w -> w.startsWith("member node-1 is down"));
        assertThat(answer.job()).isNull();
    }

    @Test
    void anAnswerSignedWithAnotherKeyIsNotTrusted() throws BindException {
        byte[] other = StatusWire.key(Secret.of("another-secret"), "c1");
        int port = serve(r -> StatusWire.answer(r, store, "c1", false, other));

        assertThat(StatusWire.fetch(port, KEY, TIMEOUT)).isEmpty();
        // nor one for another cluster under the same secret
        byte[] otherCluster = StatusWire.key(Secret.of("the-store-secret"), "c2");
        assertThat(StatusWire.fetch(port, otherCluster, TIMEOUT)).isEmpty();
    }

    @Test
    void anAnswerReplayedForAnotherNonceIsNotTrusted() throws BindException {
        HttpRequestInfo earlier = new HttpRequestInfo(
                "GET",
                StatusWire.PATH,
                Map.of("nonce", List.of("0123456789abcdef0123456789abcdef")),
                null,
                false,
                false,
                Optional.empty());
        HttpReply recorded = StatusWire.answer(earlier, store, "c1", false, KEY);
        assertThat(recorded.status()).isEqualTo(200);
        int port = serve(r -> recorded);

        assertThat(StatusWire.fetch(port, KEY, TIMEOUT)).isEmpty();
    }

    @Test
    void aRequestWithoutAGoodNonceIsRefused() {
        for (Map<String, List<String>> query : List.of(
                Map.<String, List<String>>of(),
                Map.of("nonce", List.of("short")),
                Map.of("nonce", List.of("0123456789abcdef0123456789abcdef", "0123456789abcdef0123456789abcdef")))) {
            HttpReply reply = StatusWire.answer(
                    new HttpRequestInfo("GET", StatusWire.PATH, query, null, false, false, Optional.empty()),
                    store,
                    "c1",
                    false,
                    KEY);
            assertThat(reply.status()).as(query.toString()).isEqualTo(400);
            assertThat(reply.body()).contains("needs ?nonce=");
        }
    }

    @Test
    void garbageAnOversizedAnswerOrNobodyListeningFallsBackToTheStore() throws BindException {
        int garbage = serve(r -> HttpReply.json(200, "{\"payload\": 42, \"mac\": \"%%%\"}"));
        assertThat(StatusWire.fetch(garbage, KEY, TIMEOUT)).isEmpty();
        server.close();

        int huge = serve(r -> HttpReply.json(200, "x".repeat(5 * 1024 * 1024)));
        assertThat(StatusWire.fetch(huge, KEY, TIMEOUT)).isEmpty();
        server.close();
        server = null;

        assertThat(StatusWire.fetch(huge, KEY, TIMEOUT))
                .as("nobody listens any more")
                .isEmpty();
    }
}
