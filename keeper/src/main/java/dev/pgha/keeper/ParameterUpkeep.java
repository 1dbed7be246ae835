package dev.pgha.keeper;

import java.sql.SQLException;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps postgres's settings in line with the parameters `pgha config set` stored for the cluster (ALTER SYSTEM, so
 * they survive restarts, then a reload). Owned by the keeper's loop; a failure is retried on the next heartbeat.
 */
final class ParameterUpkeep {
    private static final Logger log = LoggerFactory.getLogger(ParameterUpkeep.class);

    private Map<String, String> applied = Map.of();
    private String lastFailure;

    void apply(Map<String, String> wanted, PgClient client) {
        if (wanted.equals(applied)) {
            return;
        }
        Map<String, String> set = new TreeMap<>(wanted);
        set.entrySet().removeIf(e -> e.getValue().equals(applied.get(e.getKey())));
        List<String> reset = applied.keySet().stream()
                .filter(k -> !wanted.containsKey(k))
                .sorted()
                .toList();
        try {
            if (!set.isEmpty() || !reset.isEmpty()) {
                client.applyParameters(set, reset);
                log.info(
                        "postgres parameters applied: {}{}",
                        set.isEmpty() ? "" : "set " + String.join(", ", set.keySet()),
                        reset.isEmpty() ? "" : (set.isEmpty() ? "" : "; ") + "reset " + String.join(", ", reset));
            }
            applied = Map.copyOf(wanted);
            lastFailure = null;
        } catch (SQLException e) {
            if (!Objects.equals(e.getMessage(), lastFailure)) {
                log.warn("cannot apply the cluster's postgres parameters yet: {}", e.getMessage());
            }
            lastFailure = e.getMessage();
        }
    }
}
