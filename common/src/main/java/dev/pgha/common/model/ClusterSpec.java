package dev.pgha.common.model;

import java.time.Duration;
import java.time.Instant;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * Cluster-wide settings every member follows, kept in the store.
 *
 * @param primaryRegion     only members of this region may lead; null = any region
 * @param synchronousMode   ON, OFF, or AUTO: on once two or more database members are registered
 * @param synchronousStrict with no synchronous standby in sync, writes wait instead of the leader serving alone
 * @param failTimeout       how long a leader may report itself unhealthy before the cluster fails over
 * @param hbaRules          the operator's own pg_hba.conf lines (`pgha config hba`), applied after pgha's
 * @param maximumLagOnFailover without synchronous replication, the most WAL (bytes) a standby may lack of what the lost
 *                          leader was last known to have and still be promoted automatically; 0 = no limit (a spec
 *                          written by a version without it)
 * @param pause             set by `pgha pause` (null: not paused): no automatic leader change, and keepers neither
 *                          start nor stop postgres on their own, until `pgha resume` or its end
 * @param holdTimeout       proxy.holdTimeout for every proxy; null: each proxy's own configuration
 * @param settings          the operator's runtime settings (`pgha config set cluster.failTimeout=5s`), key to value as
 *                          given and checked; the fields above already hold their effect
 * @param synchronousStandbys how many synchronous standbys a commit waits for (ANY N; fewer while fewer are in sync,
 *                          unless strict); a failover still promotes only the one with the most WAL of them all
 * @param memberTags        the operator's tags per member (`pgha member tag`), member id to tags text; each member's
 *                          keeper applies its own over its configured PGHA_TAGS
 */
public record ClusterSpec(
        String primaryRegion,
        SyncMode synchronousMode,
        boolean synchronousStrict,
        Duration failTimeout,
        List<String> hbaRules,
        long maximumLagOnFailover,
        Pause pause,
        Duration holdTimeout,
        Map<String, String> settings,
        Map<String, String> memberTags,
        int synchronousStandbys) {

    /**
     * A maintenance pause.
     *
     * @param since when the operator paused the cluster
     * @param until when the elected sentinel resumes it by itself (its wall clock; the operator gave a time); null =
     *              until `pgha resume`
     */
    public record Pause(Instant since, Instant until) {
        public Pause {
            Objects.requireNonNull(since, "since");
        }
    }

    public enum SyncMode {
        ON,
        OFF,
        AUTO
    }

    public static final Duration DEFAULT_FAIL_TIMEOUT = Duration.ofSeconds(10);
    /** 1MB, as reference.conf (Patroni's maximum_lag_on_failover is 1 MiB). */
    public static final long DEFAULT_MAXIMUM_LAG_ON_FAILOVER = 1_000_000;

    public ClusterSpec {
        synchronousMode = Objects.requireNonNullElse(synchronousMode, SyncMode.AUTO);
        failTimeout = Objects.requireNonNullElse(failTimeout, DEFAULT_FAIL_TIMEOUT);
        hbaRules = hbaRules == null ? List.of() : List.copyOf(hbaRules);
        settings = settings == null ? Map.of() : Collections.unmodifiableMap(new TreeMap<>(settings));
        memberTags = memberTags == null ? Map.of() : Collections.unmodifiableMap(new TreeMap<>(memberTags));
        synchronousStandbys = Math.max(1, synchronousStandbys); // a spec written before it existed: 1
        if (maximumLagOnFailover < 0) {
            throw new IllegalArgumentException("maximumLagOnFailover < 0: " + maximumLagOnFailover);
        }
    }

    /** Without operator pg_hba rules, and the default lag limit (tests; a sentinel's configuration sets both). */
    public ClusterSpec(
            String primaryRegion, SyncMode synchronousMode, boolean synchronousStrict, Duration failTimeout) {
        this(
                primaryRegion,
                synchronousMode,
                synchronousStrict,
                failTimeout,
                List.of(),
                DEFAULT_MAXIMUM_LAG_ON_FAILOVER,
                null,
                null,
                Map.of(),
                Map.of(),
                1);
    }

    public ClusterSpec withHbaRules(List<String> rules) {
        return new ClusterSpec(
                primaryRegion,
                synchronousMode,
                synchronousStrict,
                failTimeout,
                rules,
                maximumLagOnFailover,
                pause,
                holdTimeout,
                settings,
                memberTags,
                synchronousStandbys);
    }

    public ClusterSpec withMaximumLagOnFailover(long bytes) {
        return withHaSettings(synchronousMode, synchronousStrict, failTimeout, bytes, holdTimeout, synchronousStandbys);
    }

    public ClusterSpec withSynchronousStandbys(int standbys) {
        return withHaSettings(
                synchronousMode, synchronousStrict, failTimeout, maximumLagOnFailover, holdTimeout, standbys);
    }

    /** The same spec paused ({@code pause} non-null) or resumed (null). */
    public ClusterSpec withPause(Pause pause) {
        return new ClusterSpec(
                primaryRegion,
                synchronousMode,
                synchronousStrict,
                failTimeout,
                hbaRules,
                maximumLagOnFailover,
                pause,
                holdTimeout,
                settings,
                memberTags,
                synchronousStandbys);
    }

    /** The same spec with the operator's runtime settings recorded (their effect is applied separately). */
    public ClusterSpec withSettings(Map<String, String> settings) {
        return new ClusterSpec(
                primaryRegion,
                synchronousMode,
                synchronousStrict,
                failTimeout,
                hbaRules,
                maximumLagOnFailover,
                pause,
                holdTimeout,
                settings,
                memberTags,
                synchronousStandbys);
    }

    /** The same spec with the operator's member tags ({@code pgha member tag}: member id -> tags text). */
    public ClusterSpec withMemberTags(Map<String, String> memberTags) {
        return new ClusterSpec(
                primaryRegion,
                synchronousMode,
                synchronousStrict,
                failTimeout,
                hbaRules,
                maximumLagOnFailover,
                pause,
                holdTimeout,
                settings,
                memberTags,
                synchronousStandbys);
    }

    /** The same spec with other HA settings (the operator's runtime settings applied over a configuration's). */
    public ClusterSpec withHaSettings(
            SyncMode synchronousMode,
            boolean synchronousStrict,
            Duration failTimeout,
            long maximumLagOnFailover,
            Duration holdTimeout,
            int synchronousStandbys) {
        return new ClusterSpec(
                primaryRegion,
                synchronousMode,
                synchronousStrict,
                failTimeout,
                hbaRules,
                maximumLagOnFailover,
                pause,
                holdTimeout,
                settings,
                memberTags,
                synchronousStandbys);
    }

    /** Whether `pgha pause` holds: no automatic leader change, no automatic start or stop of postgres. */
    public boolean paused() {
        return pause != null;
    }

    /** Defaults with a primary region (tests, and a store written by an older version). */
    public static ClusterSpec of(String primaryRegion) {
        return new ClusterSpec(primaryRegion, SyncMode.AUTO, false, DEFAULT_FAIL_TIMEOUT);
    }

    /** Whether commits wait for a synchronous standby in a cluster of {@code databaseMembers} members. */
    public boolean synchronous(int databaseMembers) {
        return switch (synchronousMode) {
            case ON -> true;
            case OFF -> false;
            case AUTO -> databaseMembers >= 2;
        };
    }
}
