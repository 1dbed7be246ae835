package dev.pgha.common.model;

import java.time.Instant;

/** One change of leader, kept in the bounded history list. */
public record HistoryEntry(
        Instant time, long generation, String oldLeader, String newLeader, String reason, long leaderLsn) {}
