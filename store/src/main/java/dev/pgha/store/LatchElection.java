package dev.pgha.store;

import dev.pgha.common.PghaException;
import dev.pgha.common.concurrent.Closeables;
import dev.pgha.common.store.Election;
import java.util.function.Consumer;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.recipes.leader.LeaderLatch;
import org.apache.curator.framework.recipes.leader.LeaderLatchListener;

/** The sentinels' election: Curator's LeaderLatch (its node is ephemeral, so leadership ends with the session). */
final class LatchElection implements Election {
    private final LeaderLatch latch;

    private LatchElection(LeaderLatch latch) {
        this.latch = latch;
    }

    static LatchElection start(CuratorFramework client, String path, String memberId, Consumer<Boolean> onChange) {
        LeaderLatch latch = new LeaderLatch(client, path, memberId);
        latch.addListener(new LeaderLatchListener() {
            @Override
            public void isLeader() {
                onChange.accept(true);
            }

            @Override
            public void notLeader() {
                onChange.accept(false);
            }
        });
        try {
            latch.start();
        } catch (Exception e) {
            throw new PghaException("cannot join the sentinel election: " + e.getMessage());
        }
        return new LatchElection(latch);
    }

    @Override
    public boolean isLeader() {
        return latch.hasLeadership();
    }

    @Override
    public void close() {
        Closeables.closeQuietly(latch);
    }
}
