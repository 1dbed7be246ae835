package dev.pgha.common.store;

/** A value read from the store together with its znode version, for compare-and-set. */
public record Versioned<T>(T value, int version) {}
