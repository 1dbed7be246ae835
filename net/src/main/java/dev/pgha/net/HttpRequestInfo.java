package dev.pgha.net;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/** The parts of a request an endpoint may look at: its path and query parameters (already decoded). */
public record HttpRequestInfo(String path, Map<String, List<String>> query) {
    public HttpRequestInfo {
        query = Map.copyOf(query);
    }

    public Optional<String> param(String name) {
        List<String> values = query.get(name);
        return values == null || values.isEmpty() ? Optional.empty() : Optional.of(values.get(0));
    }
}
