package dev.pgha.net;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The parts of a request an endpoint may look at: its path and query parameters (already decoded), the body of a
 * POST (empty otherwise; bounded by the server), and whether it came over TLS from a client whose certificate chains
 * to the server's CA.
 */
public record HttpRequestInfo(String path, Map<String, List<String>> query, byte[] body, boolean peerCertified) {
    public HttpRequestInfo {
        query = Map.copyOf(query);
        body = body == null ? new byte[0] : body.clone();
    }

    public HttpRequestInfo(String path, Map<String, List<String>> query) {
        this(path, query, null, false);
    }

    @Override
    public byte[] body() {
        return body.clone();
    }

    public Optional<String> param(String name) {
        List<String> values = query.get(name);
        return values == null || values.isEmpty() ? Optional.empty() : Optional.of(values.get(0));
    }
}
