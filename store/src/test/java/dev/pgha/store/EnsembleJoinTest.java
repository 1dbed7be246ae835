package dev.pgha.store;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pgha.common.config.ZkPeer;
import dev.pgha.common.store.StoreEnsemble;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class EnsembleJoinTest {

    /** Each row: PGHA_JOIN, the member's server address, this node's address, the refusal ("-": none). */
    @ParameterizedTest
    @CsvSource(delimiter = '|', textBlock = """
            127.0.0.1:2181  | 127.0.0.1 | 127.0.0.1 | -
            10.0.0.1        | 10.0.0.1  | 10.0.0.2  | -
            [fdaa::1]:2181  | fdaa::1   | fdaa::2   | -
            10.0.0.1        | 10.0.0.1  | 127.0.0.1 | this node's ZooKeeper would listen on 127.0.0.1, which the members at 10.0.0.1 cannot reach: set PGHA_ADVERTISE_HOST (or PGHA_ZK_HOST)
            10.0.0.1:2181   | 127.0.0.1 | 10.0.0.2  | the member at 10.0.0.1:2181 runs its ZooKeeper on 127.0.0.1 only (it was started without PGHA_ADVERTISE_HOST): restart it once
            """)
    void joiningAcrossMachinesNeedsAddressesTheyReach(String join, String member, String self, String refusal) {
        StoreEnsemble ensemble =
                StoreEnsemble.parse("server.1=" + ZkPeer.bracket(member) + ":2888:3888:participant;2181\n");
        ZkPeer me = new ZkPeer(0, self, 2888, 3888, self, 2181);
        if (refusal.equals("-")) {
            assertThatCode(() -> EnsembleJoin.reachable(join, ensemble, me)).doesNotThrowAnyException();
        } else {
            assertThatThrownBy(() -> EnsembleJoin.reachable(join, ensemble, me)).hasMessageContaining(refusal);
        }
    }
}
