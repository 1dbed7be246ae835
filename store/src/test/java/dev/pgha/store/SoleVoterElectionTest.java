package dev.pgha.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Properties;
import org.apache.zookeeper.server.quorum.QuorumPeer.LearnerType;
import org.apache.zookeeper.server.quorum.QuorumPeer.ServerState;
import org.apache.zookeeper.server.quorum.QuorumPeerConfig.ConfigException;
import org.apache.zookeeper.server.quorum.flexible.QuorumMaj;
import org.apache.zookeeper.server.quorum.flexible.QuorumVerifier;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class SoleVoterElectionTest {

    /**
     * Each row: this server's id, its type and state, its configuration's servers (id:p for a voter, id:o for an
     * observer), the last one proposed ("-": none), whether it leads without ZooKeeper's election.
     */
    @ParameterizedTest
    @CsvSource(delimiter = '|', textBlock = """
            1 | PARTICIPANT | LOOKING   | 1:p          | -            | true
            1 | PARTICIPANT | LOOKING   | 1:p          | 1:p          | true
            1 | PARTICIPANT | LOOKING   | 1:p 2:o 3:o  | 1:p 2:o 3:o  | true
            1 | PARTICIPANT | LOOKING   | 1:p 2:p      | -            | false
            1 | PARTICIPANT | LOOKING   | 1:p 2:p 3:p  | -            | false
            1 | PARTICIPANT | LOOKING   | 1:p          | 1:p 2:p      | false
            1 | PARTICIPANT | LOOKING   | 1:p          | 2:p          | false
            2 | OBSERVER    | LOOKING   | 1:p 2:o      | -            | false
            2 | PARTICIPANT | LOOKING   | 1:p          | -            | false
            1 | PARTICIPANT | LEADING   | 1:p          | -            | false
            1 | PARTICIPANT | OBSERVING | 1:p          | -            | false
            """)
    void aServerLeadsAtOnceOnlyAsTheOneVoterOfItsEnsemble(
            long myId, LearnerType type, ServerState state, String current, String lastSeen, boolean alone)
            throws ConfigException {
        assertThat(SoleVoterElection.alone(
                        myId, type, state, verifier(current), lastSeen.equals("-") ? null : verifier(lastSeen)))
                .isEqualTo(alone);
    }

    private static QuorumVerifier verifier(String servers) throws ConfigException {
        Properties p = new Properties();
        for (String s : servers.split(" ")) {
            String[] idType = s.split(":");
            int id = Integer.parseInt(idType[0]);
            p.setProperty(
                    "server." + id,
                    "127.0.0.1:" + (2000 + id) + ":" + (3000 + id) + ":"
                            + (idType[1].equals("p") ? "participant" : "observer") + ";" + (4000 + id));
        }
        return new QuorumMaj(p);
    }
}
