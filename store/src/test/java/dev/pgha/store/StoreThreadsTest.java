package dev.pgha.store;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class StoreThreadsTest {
    @Test
    void theSessionsClientServerAndHeartbeatThreadsCarryItAndNothingElseDoes() {
        // names as ZooKeeper 3.9 and pgha give them (SingleNodeIT checks a running daemon's)
        assertThat("main-SendThread(127.0.0.1:2181)").matches(StoreThreads::carriesSession);
        assertThat("session-lease-EventThread").matches(StoreThreads::carriesSession);
        assertThat("NIOServerCxnFactory.SelectorThread-0").matches(StoreThreads::carriesSession);
        assertThat("NIOWorkerThread-1").matches(StoreThreads::carriesSession);
        assertThat("ProcessThread(sid:1 cport:-1):").matches(StoreThreads::carriesSession);
        assertThat("CommitProcWorkThread-1").matches(StoreThreads::carriesSession);
        assertThat("SyncThread:1").matches(StoreThreads::carriesSession);
        assertThat("QuorumPeer[myid=1](plain=127.0.0.1:2181)(secure=disabled)").matches(StoreThreads::carriesSession);
        assertThat("LearnerHandler-/127.0.0.1:41512").matches(StoreThreads::carriesSession);
        assertThat("session-lease").matches(StoreThreads::carriesSession);

        assertThat("proxy-1-1").doesNotMatch(StoreThreads::carriesSession);
        assertThat("keeper-action").doesNotMatch(StoreThreads::carriesSession);
        assertThat("Curator-Framework-0").doesNotMatch(StoreThreads::carriesSession);
        assertThat("C2 CompilerThread0").doesNotMatch(StoreThreads::carriesSession);
        assertThat("main").doesNotMatch(StoreThreads::carriesSession);
    }
}
