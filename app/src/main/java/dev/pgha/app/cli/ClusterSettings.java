package dev.pgha.app.cli;

import dev.pgha.common.config.RuntimeSettings;
import dev.pgha.common.model.ClusterSpec;
import dev.pgha.common.store.ClusterStore;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * The cluster's runtime settings (`pgha config set cluster.failTimeout=5s`, PATCH /config {"cluster": {…}}): stored
 * in the spec, where the elected sentinel applies them over its configuration, for every member, without a restart.
 */
public final class ClusterSettings {
    private static final Duration APPLIED_WAIT = Duration.ofSeconds(10);

    /** One runtime setting as `pgha config show` lists it. */
    public record Shown(String name, String value, String source) {}

    /**
     * @param applied whether the elected sentinel put every change into effect within a few seconds
     */
    public record Outcome(Map<String, String> changes, boolean applied) {}

    private ClusterSettings() {}

    /**
     * Checks {@code changes} (an empty value resets a setting to the members' configuration) as a daemon checks its
     * configuration, stores them and waits a moment for the elected sentinel to apply them.
     *
     * @throws dev.pgha.common.config.InvalidConfigException naming the key, before anything is stored
     */
    public static Outcome apply(ClusterStore store, Map<String, String> changes) {
        Map<String, String> checked = new LinkedHashMap<>();
        changes.forEach((k, v) -> checked.put(k.strip(), v.strip()));
        check(checked); // every key and value, before anything is written
        SpecUpdate.apply(store, spec -> spec.withSettings(merged(spec.settings(), checked)));
        Instant deadline = Instant.now().plus(APPLIED_WAIT);
        while (Instant.now().isBefore(deadline)) {
            ClusterSpec spec = store.snapshot().spec();
            if (inEffect(spec, checked)) {
                return new Outcome(checked, true);
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        return new Outcome(checked, false);
    }

    /**
     * Checks keys and values as a daemon checks its configuration (an empty value, a reset, only by its key).
     *
     * @throws dev.pgha.common.config.InvalidConfigException naming the key
     */
    public static void check(Map<String, String> changes) {
        RuntimeSettings.checkKeys(changes.keySet());
        RuntimeSettings.apply(ClusterSpec.of(null), setOnly(changes));
    }

    /** Every runtime setting with its value in the cluster and where that comes from. */
    public static List<Shown> show(ClusterSpec spec) {
        return RuntimeSettings.KEYS.stream()
                .map(key -> {
                    String value = RuntimeSettings.valueOf(spec, key);
                    String source = spec.settings().containsKey(key)
                            ? "pgha config set"
                            : value == null ? "each proxy's configuration" : "the elected sentinel's configuration";
                    return new Shown(key, value, source);
                })
                .toList();
    }

    /** The stored settings with {@code changes} made (an empty value removes one). */
    static Map<String, String> merged(Map<String, String> stored, Map<String, String> changes) {
        Map<String, String> next = new TreeMap<>(stored);
        changes.forEach((k, v) -> {
            if (v.isEmpty()) {
                next.remove(k);
            } else {
                next.put(k, v);
            }
        });
        return next;
    }

    /** The settings {@code changes} sets (resets aside). */
    private static Map<String, String> setOnly(Map<String, String> changes) {
        Map<String, String> set = new LinkedHashMap<>();
        changes.forEach((k, v) -> {
            if (!v.isEmpty()) {
                set.put(k, v);
            }
        });
        return set;
    }

    /** Whether the stored spec records {@code changes} and the settings set have taken effect. */
    private static boolean inEffect(ClusterSpec spec, Map<String, String> changes) {
        if (!spec.settings().equals(merged(spec.settings(), changes))) {
            return false;
        }
        ClusterSpec expected = RuntimeSettings.apply(spec, setOnly(changes));
        return changes.keySet().stream()
                .filter(k -> !changes.get(k).isEmpty())
                .allMatch(k -> Objects.equals(RuntimeSettings.valueOf(spec, k), RuntimeSettings.valueOf(expected, k)));
    }
}
