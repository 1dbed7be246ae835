package dev.pgha.common.config;

import com.typesafe.config.ConfigFactory;
import dev.pgha.common.model.ClusterSpec;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Cluster settings an operator changes at runtime (`pgha config set cluster.failTimeout=5s`, PATCH /config): kept in
 * the cluster spec, they apply to every member over its own configuration, without a restart. Each is read by the
 * same rule, with the same message, here and when a daemon starts ({@link ConfigLoader} calls these readers).
 */
public final class RuntimeSettings {
    /** The settings that can change at runtime, in the order `pgha config show` lists them. */
    public static final List<String> KEYS = List.of(
            "cluster.failTimeout",
            "cluster.synchronousMode",
            "cluster.synchronousStrict",
            "cluster.synchronousStandbys",
            "cluster.maximumLagOnFailover",
            "proxy.holdTimeout");

    private static final Pattern SYNC_MODE = Pattern.compile("on|off|auto");
    private static final String ORIGIN = "pgha config set";

    private RuntimeSettings() {}

    /** Whether {@code key} names a pgha setting rather than a postgres parameter (`pgha config set` takes both). */
    public static boolean isPghaKey(String key) {
        return key.startsWith("cluster.") || key.startsWith("proxy.");
    }

    /**
     * {@code spec} with {@code values} in effect: the operator's settings over a configuration's.
     *
     * @throws InvalidConfigException naming the key, when one cannot change at runtime or its value is not valid
     */
    public static ClusterSpec apply(ClusterSpec spec, Map<String, String> values) {
        checkKeys(values.keySet());
        if (values.isEmpty()) {
            return spec;
        }
        Settings s = new Settings(ConfigFactory.parseMap(values, ORIGIN));
        return spec.withHaSettings(
                values.containsKey("cluster.synchronousMode")
                        ? ClusterSpec.SyncMode.valueOf(synchronousMode(s).toUpperCase(Locale.ROOT))
                        : spec.synchronousMode(),
                values.containsKey("cluster.synchronousStrict") ? synchronousStrict(s) : spec.synchronousStrict(),
                values.containsKey("cluster.failTimeout") ? failTimeout(s) : spec.failTimeout(),
                values.containsKey("cluster.maximumLagOnFailover")
                        ? maximumLagOnFailover(s)
                        : spec.maximumLagOnFailover(),
                values.containsKey("proxy.holdTimeout") ? holdTimeout(s) : spec.holdTimeout(),
                values.containsKey("cluster.synchronousStandbys")
                        ? synchronousStandbys(s)
                        : spec.synchronousStandbys());
    }

    /** Refuses, naming it, a key that is not a runtime setting. */
    public static void checkKeys(Collection<String> keys) {
        for (String key : keys) {
            if (!KEYS.contains(key)) {
                throw new InvalidConfigException(key + " cannot change at runtime (set it in each member's "
                        + "configuration and restart them); the cluster settings that can: " + String.join(", ", KEYS));
            }
        }
    }

    /** The value of runtime setting {@code key} that {@code spec} holds, as `pgha config show` prints it. */
    public static String valueOf(ClusterSpec spec, String key) {
        return switch (key) {
            case "cluster.failTimeout" -> Durations.format(spec.failTimeout());
            case "cluster.synchronousMode" -> spec.synchronousMode().name().toLowerCase(Locale.ROOT);
            case "cluster.synchronousStrict" -> Boolean.toString(spec.synchronousStrict());
            case "cluster.synchronousStandbys" -> Integer.toString(spec.synchronousStandbys());
            case "cluster.maximumLagOnFailover" -> Long.toString(spec.maximumLagOnFailover());
            case "proxy.holdTimeout" -> spec.holdTimeout() == null ? null : Durations.format(spec.holdTimeout());
            default -> throw new IllegalArgumentException("not a runtime setting: " + key);
        };
    }

    // ---- the readers, shared with ConfigLoader -------------------------------------------------------------------

    static Duration failTimeout(Settings s) {
        return s.duration("cluster.failTimeout", Duration.ofSeconds(1), Duration.ofHours(1));
    }

    static String synchronousMode(Settings s) {
        return s.matching("cluster.synchronousMode", SYNC_MODE, 4, "on, off or auto");
    }

    static boolean synchronousStrict(Settings s) {
        return s.bool("cluster.synchronousStrict");
    }

    static int synchronousStandbys(Settings s) {
        return s.integer("cluster.synchronousStandbys", 1, 10, "a number of standbys from 1 to 10");
    }

    static long maximumLagOnFailover(Settings s) {
        return s.requiredSize("cluster.maximumLagOnFailover", 0);
    }

    static Duration holdTimeout(Settings s) {
        return s.duration("proxy.holdTimeout", Duration.ZERO, Duration.ofMinutes(10));
    }
}
