package dev.pgha.common.model;

import java.time.Instant;

/**
 * A member's registration (persistent): how to reach it. Outlives the member's session so that a dead member can
 * be told apart from one that never existed.
 */
public record MemberInfo(
        String id, String region, String host, int pgPort, int proxyPort, int httpPort, Instant registeredAt) {}
