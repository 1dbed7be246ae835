package dev.pgha.common.request;

import java.time.Duration;

/** Every time limit of the operator-request protocol (switchover, forced failover), in one place. */
public final class RequestTimeouts {
    /** How long the elected sentinel has to accept or refuse a request before the command gives up. */
    public static final Duration ANSWER = Duration.ofSeconds(15);

    /**
     * A switchover that has not completed this long after it started (the leader stopped cleanly, the target received
     * all of its WAL) is abandoned: the failover rules decide instead, and the former leader may lead again.
     */
    public static final Duration SWITCHOVER = Duration.ofSeconds(30);

    /** How long `pgha switchover` and `pgha failover` wait for the change by default, as picocli reads it. */
    public static final String COMMAND_TEXT = "60s";

    /** ... and as a duration; also the most a leader's handover before it stops may take. */
    public static final Duration COMMAND = Duration.ofSeconds(60);

    /** The switchover of a rolling restart: standbys that have just restarted may still be catching up. */
    public static final Duration ROLLING_SWITCHOVER = Duration.ofSeconds(90);

    /** An accepted request is removed after this long even if the cluster never got back to NORMAL. */
    public static final Duration ACCEPTED_LIFETIME = Duration.ofMinutes(10);

    /** A refused request waits this long for its command to read the refusal. */
    public static final Duration REFUSAL_LIFETIME = Duration.ofMinutes(1);

    private RequestTimeouts() {}
}
