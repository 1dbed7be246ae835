package dev.pgha.common.store;

/** This member's place in an election among the cluster's members (the sentinels). */
public interface Election extends AutoCloseable {
    /** True while this member holds the leadership. */
    boolean isLeader();

    /** Leaves the election (giving up the leadership if held). */
    @Override
    void close();
}
