package dev.pgha.store;

import java.io.IOException;
import java.util.Set;
import org.apache.zookeeper.common.Time;
import org.apache.zookeeper.server.quorum.Election;
import org.apache.zookeeper.server.quorum.FastLeaderElection;
import org.apache.zookeeper.server.quorum.QuorumPeer;
import org.apache.zookeeper.server.quorum.QuorumPeer.LearnerType;
import org.apache.zookeeper.server.quorum.QuorumPeer.ServerState;
import org.apache.zookeeper.server.quorum.Vote;
import org.apache.zookeeper.server.quorum.flexible.QuorumOracleMaj;
import org.apache.zookeeper.server.quorum.flexible.QuorumVerifier;

/**
 * ZooKeeper's leader election for this node's quorum peer, except when the peer is the only voter of its ensemble:
 * then it leads at once. Alone, ZooKeeper's FastLeaderElection still waits {@code finalizeWait} (200 ms, a constant)
 * for votes no other server can send, on every start of a single node. With other voters, with a reconfiguration
 * pending that would add some, and for observers, ZooKeeper's election runs as it is; it also keeps answering other
 * servers (observers, joiners) while this one leads.
 */
final class SoleVoterElection implements Election {
    private final QuorumPeer peer;
    private final Election zookeepers;
    private long round; // this election's rounds; ZooKeeper's own count is used when it ran further

    SoleVoterElection(QuorumPeer peer, Election zookeepers) {
        this.peer = peer;
        this.zookeepers = zookeepers;
    }

    @Override
    public Vote lookForLeader() throws InterruptedException {
        if (!alone(
                peer.getMyId(),
                peer.getLearnerType(),
                peer.getPeerState(),
                peer.getQuorumVerifier(),
                peer.getLastSeenQuorumVerifier())) {
            return zookeepers.lookForLeader();
        }
        long epoch;
        try {
            epoch = peer.getCurrentEpoch();
        } catch (IOException e) {
            return zookeepers.lookForLeader(); // it reads the epoch file too, and says why it cannot
        }
        peer.start_fle = Time.currentElapsedTime(); // the leader logs how long the election took
        long clock = zookeepers instanceof FastLeaderElection fle ? fle.getLogicalClock() : 0;
        round = Math.max(round, clock) + 1;
        Vote self = new Vote(peer.getMyId(), peer.getLastLoggedZxid(), round, epoch);
        peer.setPeerState(ServerState.LEADING);
        return self;
    }

    /**
     * Whether server {@code myId} may lead without an election: it is looking for a leader, it votes, and it is the
     * only voter of its configuration and of the last one proposed ({@code lastSeen}, null when none). A
     * configuration that decides by an oracle is left to ZooKeeper.
     */
    static boolean alone(
            long myId, LearnerType type, ServerState state, QuorumVerifier current, QuorumVerifier lastSeen) {
        return type == LearnerType.PARTICIPANT
                && state == ServerState.LOOKING
                && onlyVoter(myId, current)
                && (lastSeen == null || onlyVoter(myId, lastSeen))
                && !(current instanceof QuorumOracleMaj);
    }

    private static boolean onlyVoter(long myId, QuorumVerifier qv) {
        return qv != null && qv.getVotingMembers().keySet().equals(Set.of(myId));
    }

    @Override
    public void shutdown() {
        zookeepers.shutdown();
    }
}
