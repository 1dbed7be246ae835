package dev.pgha.common.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pgha.common.config.ZkPeer;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class StoreEnsembleTest {

    /** Each row: a server line as ZooKeeper writes it, and the server it reads as (written back). */
    @ParameterizedTest
    @CsvSource(delimiter = '|', textBlock = """
            server.1=127.0.0.1:2888:3888:participant;127.0.0.1:2181 | 127.0.0.1:2888:3888:participant;127.0.0.1:2181
            server.2=10.0.0.2:2888:3888:observer;0.0.0.0:2181        | 10.0.0.2:2888:3888:observer;0.0.0.0:2181
            server.3=[fdaa::3]:2888:3888:participant;[fdaa::3]:2181  | [fdaa::3]:2888:3888:participant;[fdaa::3]:2181
            server.4=db4:2888:3888;2181                                | db4:2888:3888:participant;db4:2181
            """)
    void readsZooKeepersServerLines(String line, String written) {
        ZkPeer server = StoreEnsemble.parse(line).servers().get(0);
        assertThat(server.serverLine()).isEqualTo(written);
    }

    @Test
    void readsVotersObserversAndTheVersion() {
        StoreEnsemble e = StoreEnsemble.parse("""
                server.1=127.0.0.1:1:2:participant;127.0.0.1:3
                server.3=127.0.0.1:7:8:observer;127.0.0.1:9
                server.2=127.0.0.1:4:5:participant;127.0.0.1:6
                version=10000001a
                """);
        assertThat(e.version()).isEqualTo(0x10000001aL);
        assertThat(e.voters()).extracting(ZkPeer::id).containsExactly(1, 2);
        assertThat(e.observers()).extracting(ZkPeer::id).containsExactly(3);
        assertThat(e.nextId(Set.of())).isEqualTo(4);
        assertThat(e.nextId(Set.of(7, 2))).isEqualTo(8);
        assertThat(e.serverAt("127.0.0.1", 4)).map(ZkPeer::id).contains(2);
        assertThat(e.serverAt("127.0.0.1", 5)).isEmpty();
    }

    @Test
    void aServerLineItCannotReadIsAnErrorNotAShorterList() {
        assertThatThrownBy(() -> StoreEnsemble.parse("server.1=127.0.0.1:1:2\nserver.2=garbage\n"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("server.2=garbage");
    }
}
