package dev.pgha.common.model;

/** What the local postgres currently is. */
public enum Role {
    /** Not running, or not known. */
    NONE,
    PRIMARY,
    STANDBY
}
