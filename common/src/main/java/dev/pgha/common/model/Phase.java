package dev.pgha.common.model;

/** Where the cluster is in its life: the sentinel moves it between these, one view generation at a time. */
public enum Phase {
    /** No leader has been published yet; the sentinel may designate the member that runs initdb. */
    INITIALIZING,
    /** A leader is published and proxies route to it. */
    NORMAL,
    /** The leader is gone: proxies close connections and ack before anyone is promoted. */
    FAILOVER_FENCING,
    /** A candidate was chosen and is being promoted. */
    FAILOVER_PROMOTING,
    /** A planned change of leader is under way. */
    SWITCHOVER
}
