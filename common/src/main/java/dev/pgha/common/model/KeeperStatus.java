package dev.pgha.common.model;

import java.time.Instant;
import java.util.List;
import java.util.Objects;

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
 * @param writtenLsn         primary: current WAL write position; a former primary shut down cleanly: where its WAL
 *                           ends (its shutdown checkpoint); 0 otherwise
 * @param receivedLsn        standby: last WAL position received; 0 otherwise
 * @param replayedLsn        standby: last WAL position replayed; 0 otherwise
 * @param healthy            the keeper considers its postgres fit to serve in its role
 * @param problem            why it is not healthy (null when healthy)
 * @param appliedGeneration  the view generation this keeper has converged to
 * @param updatedAt          when the keeper wrote this status
 * @param unhealthySince     when it last turned unhealthy (null while healthy)
 * @param following          standby: the member whose postgres it streams from right now (null when not streaming)
 * @param streaming          primary: members streaming from it that have caught up (pg_stat_replication 'streaming')
 * @param synchronousNames   primary: the members its synchronous_standby_names waits for right now
 * @param walFinalGeneration standby: the view generation this keeper had read when it found its postgres receiving
 *                           no WAL (no upstream configured, no WAL receiver process; one that received nothing since
 *                           it started has also replayed all it holds), so that its WAL positions can no longer
 *                           move; 0 while they may. A failover compares positions only once they are final for its
 *                           generation: a status written earlier (or republished from before, as a new store session
 *                           does) may understate them.
 * @param synchronousConfirmed primary: a member of {@code synchronousNames} has flushed past where this primary's
 *                           WAL was once its postgres was waiting for that set, so whatever the primary acknowledged
 *                           alone before (serving without a synchronous standby) is on it too
 * @param leaderWalEnd       standby: the furthest WAL position it knows the view's leader (or, during a failover, the
 *                           lost leader) had: what that leader's WAL sender last said its WAL reached
 *                           (pg_stat_wal_receiver.latest_end_lsn) or its last status said, kept after streaming
 *                           stops; 0 when unknown. Without synchronous replication it bounds what a failover loses.
 * @param tags               the member's tags (PGHA_TAGS); none in a status written by a version without them
 * @param stopping           its daemon is stopping (SIGTERM): a leader that is stopping will not serve on, so the
 *                           sentinel does not let it go on alone (an emptied synchronous set would leave its standbys
 *                           unpromotable once it is gone)
 * @param hostsStoreLeader   this member's node runs the server that leads the cluster store's ensemble (its embedded
 *                           ZooKeeper leads): a failover chooses another candidate where that is as good, because the
 *                           loss of this node would cost a store election and a whole session timeout on top
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
        Instant updatedAt,
        Instant unhealthySince,
        String following,
        List<String> streaming,
        List<String> synchronousNames,
        long walFinalGeneration,
        boolean synchronousConfirmed,
        long leaderWalEnd,
        MemberTags tags,
        boolean stopping,
        boolean hostsStoreLeader) {

    public KeeperStatus {
        streaming = List.copyOf(Objects.requireNonNullElse(streaming, List.of()));
        synchronousNames = List.copyOf(Objects.requireNonNullElse(synchronousNames, List.of()));
        tags = Objects.requireNonNullElse(tags, MemberTags.NONE);
    }

    /** The same status, stamped {@code at}. */
    public KeeperStatus withUpdatedAt(Instant at) {
        return new KeeperStatus(
                memberId,
                region,
                initialized,
                systemId,
                pgUp,
                role,
                timeline,
                writtenLsn,
                receivedLsn,
                replayedLsn,
                healthy,
                problem,
                appliedGeneration,
                at,
                unhealthySince,
                following,
                streaming,
                synchronousNames,
                walFinalGeneration,
                synchronousConfirmed,
                leaderWalEnd,
                tags,
                stopping,
                hostsStoreLeader);
    }

    /** Its WAL positions can no longer move, and it knew of view generation {@code generation} when it said so. */
    public boolean walFinalSince(long generation) {
        return walFinalGeneration > 0 && walFinalGeneration >= generation;
    }

    /** The furthest WAL position this member holds: what a failover compares. */
    public long lsn() {
        return Math.max(writtenLsn, Math.max(receivedLsn, replayedLsn));
    }
}
