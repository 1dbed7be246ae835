package dev.pgha.common.model;

import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * Cluster-wide settings every member follows, kept in the store.
 *
 * @param primaryRegion     only members of this region may lead; null = any region
 * @param synchronousMode   ON, OFF, or AUTO: on once two or more database members are registered
 * @param synchronousStrict with no synchronous standby in sync, writes wait instead of the leader serving alone
 * @param failTimeout       how long a leader may report itself unhealthy before the cluster fails over
 * @param hbaRules          the operator's own pg_hba.conf lines (`pgha config hba`), applied after pgha's
 */
public record ClusterSpec(
        String primaryRegion,
        SyncMode synchronousMode,
        boolean synchronousStrict,
        Duration failTimeout,
        List<String> hbaRules) {

    public enum SyncMode {
        ON,
        OFF,
        AUTO
    }

    public static final Duration DEFAULT_FAIL_TIMEOUT = Duration.ofSeconds(10);

    public ClusterSpec {
        synchronousMode = Objects.requireNonNullElse(synchronousMode, SyncMode.AUTO);
        failTimeout = Objects.requireNonNullElse(failTimeout, DEFAULT_FAIL_TIMEOUT);
        hbaRules = hbaRules == null ? List.of() : List.copyOf(hbaRules);
    }

    /** Without operator pg_hba rules (a sentinel's configuration; the rules come from the stored spec). */
    public ClusterSpec(
            String primaryRegion, SyncMode synchronousMode, boolean synchronousStrict, Duration failTimeout) {
        this(primaryRegion, synchronousMode, synchronousStrict, failTimeout, List.of());
    }

    public ClusterSpec withHbaRules(List<String> rules) {
        return new ClusterSpec(primaryRegion, synchronousMode, synchronousStrict, failTimeout, rules);
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
