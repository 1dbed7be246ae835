package dev.pgha.store;

import java.util.List;

/**
 * Which of this JVM's threads a member's store session rides on, by their Java names: ZooKeeper's client (a request
 * and its answer), the embedded server's request pipeline, session tracker and quorum links, and the
 * {@link SessionClock}'s heartbeat. A round trip passes through about eight of them, so a few tens of milliseconds
 * of waiting for a CPU at each add up to the session timeout; the application raises their CPU priority.
 */
public final class StoreThreads {
    // ZooKeeper 3.9's thread names (prefixes): the embedded server's ...
    private static final List<String> SERVER = List.of(
            "NIOServerCxnFactory",
            "NIOWorkerThread",
            "RequestThrottler",
            "ProcessThread(",
            "CommitProcessor",
            "CommitProcWorkThread",
            "SyncThread",
            "SessionTracker",
            "QuorumPeer[",
            "QuorumPeerListener",
            "LearnerHandler",
            "LearnerSender",
            "LearnerCnxAcceptor",
            "FollowerRequestProcessor",
            "ObserverRequestProcessor",
            "QuorumConnection",
            "ListenerHandler",
            "SendWorker",
            "RecvWorker",
            "WorkerSender[",
            "WorkerReceiver[");

    private StoreThreads() {}

    /** The thread named {@code name} carries the store session (its requests, its server's answers). */
    public static boolean carriesSession(String name) {
        if (name.equals(SessionClock.THREAD_NAME)) {
            return true;
        }
        // the client's two threads are named after the thread that created the client, which varies
        if (name.contains("-SendThread(") || name.endsWith("-EventThread")) {
            return true;
        }
        for (String prefix : SERVER) {
            if (name.startsWith(prefix)) {
                return true;
            }
        }
        return false;
    }
}
