package dev.pgha.common.model;

import java.time.Instant;
import java.util.regex.Pattern;

/**
 * A member's registration (persistent): how to reach it. Outlives the member's session so that a dead member can
 * be told apart from one that never existed. A registration is checked when it is made and whenever it is read back:
 * whatever is in the store, pgha never connects to something that is not a host name or an address and a port, and
 * an invalid registration reads as unreadable (skipped, with a log line).
 *
 * @param storeServer the id of the member's server in the embedded ZooKeeper ensemble; 0: it runs none
 */
public record MemberInfo(
        String id,
        String region,
        String host,
        int pgPort,
        int proxyPort,
        int httpPort,
        Instant registeredAt,
        int storeServer) {
    private static final Pattern ID = Pattern.compile("[a-z0-9]([a-z0-9-]{0,38}[a-z0-9])?");
    private static final Pattern HOST = Pattern.compile("[A-Za-z0-9]([A-Za-z0-9.:-]{0,251}[A-Za-z0-9])?");

    public MemberInfo {
        if (id == null || !ID.matcher(id).matches()) {
            throw new IllegalArgumentException(
                    "a member registration needs an id of up to 40 lowercase letters, " + "digits and '-'");
        }
        if (host == null || !HOST.matcher(host).matches()) {
            throw new IllegalArgumentException("member " + id + " is registered with an invalid host");
        }
        if (pgPort < 1 || pgPort > 65535 || proxyPort < 0 || proxyPort > 65535 || httpPort < 0 || httpPort > 65535) {
            throw new IllegalArgumentException("member " + id + " is registered with an invalid port");
        }
        if (storeServer < 0) {
            throw new IllegalArgumentException("member " + id + " is registered with an invalid store server id");
        }
    }

    /** A member that runs no server of the store. */
    public MemberInfo(
            String id, String region, String host, int pgPort, int proxyPort, int httpPort, Instant registeredAt) {
        this(id, region, host, pgPort, proxyPort, httpPort, registeredAt, 0);
    }
}
