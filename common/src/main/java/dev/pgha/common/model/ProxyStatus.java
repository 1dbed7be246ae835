package dev.pgha.common.model;

import java.time.Instant;

/** A proxy's acknowledgement: the view generation it currently routes by (ephemeral). */
public record ProxyStatus(String memberId, long generation, Instant updatedAt) {}
