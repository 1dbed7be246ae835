package dev.pgha.common.model;

import java.time.Instant;

/**
 * What a keeper reports about its postgres every heartbeat (ephemeral node: it vanishes with the keeper's session).
 *
 * @param memberId           the reporting member
 * @param region             its region, or null
 * @param initialized        PGDATA holds a cluster
 * @param systemId           database system identifier of PGDATA (0 if none); its high 32 bits are the initdb time
 * @param pgUp               postgres accepts connections
 * @param role               what postgres is right now
 * @param timeline           current timeline id, 0 when unknown
 * @param writtenLsn         primary: current WAL write position; 0 otherwise
 * @param receivedLsn        standby: last WAL position received; 0 otherwise
 * @param replayedLsn        standby: last WAL position replayed; 0 otherwise
 * @param healthy            the keeper considers its postgres fit to serve in its role
 * @param problem            why it is not healthy (null when healthy)
 * @param appliedGeneration  the view generation this keeper has converged to
 * @param updatedAt          when the keeper wrote this status
 */
public record KeeperStatus(
        String memberId,
        String region,
        boolean initialized,
        long systemId,
        boolean pgUp,
        Role role,
        long timeline,
        long writtenLsn,
        long receivedLsn,
        long replayedLsn,
        boolean healthy,
        String problem,
        long appliedGeneration,
        Instant updatedAt) {
}
