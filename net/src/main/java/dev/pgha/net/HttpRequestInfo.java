package dev.pgha.net;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The parts of a request an endpoint may look at: its method, path and query parameters (already decoded), the body
 * of a POST or PATCH (empty otherwise; bounded by the server), whether it came over TLS and from a client whose
 * certificate chains to the server's CA, and its Authorization header (a credential: never logged).
 */
public record HttpRequestInfo(
        String method,
        String path,
        Map<String, List<String>> query,
        byte[] body,
        boolean secure,
        boolean peerCertified,
        Optional<String> authorization) {
    public HttpRequestInfo {
        query = Map.copyOf(query);
        body = body == null ? new byte[0] : body.clone();
        authorization = authorization == null ? Optional.empty() : authorization;
    }

    public HttpRequestInfo(String path, Map<String, List<String>> query) {
        this("GET", path, query, null, false, false, Optional.empty());
    }

    /** A POST with {@code body}, as the failsafe endpoint receives them. */
    public HttpRequestInfo(String path, byte[] body, boolean peerCertified) {
        this("POST", path, Map.of(), body, peerCertified, peerCertified, Optional.empty());
    }

    @Override
    public byte[] body() {
        return body.clone();
    }

    public Optional<String> param(String name) {
        List<String> values = query.get(name);
        return values == null || values.isEmpty() ? Optional.empty() : Optional.of(values.get(0));
    }

    @Override
    public String toString() {
        return method + " " + path; // never the credential
    }
}
