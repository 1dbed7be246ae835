package dev.pgha.common.model;

/**
 * Cluster-wide settings every member follows, kept in the store.
 *
 * @param primaryRegion only members of this region may lead; null = any region
 */
public record ClusterSpec(String primaryRegion) {
}
