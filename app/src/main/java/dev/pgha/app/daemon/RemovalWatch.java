package dev.pgha.app.daemon;

import dev.pgha.common.PghaException;
import dev.pgha.common.concurrent.OwnerLoop;
import dev.pgha.common.config.EnvOverrides;
import dev.pgha.common.config.PghaConfig;
import dev.pgha.common.store.ClusterStore;
import dev.pgha.common.store.StoreException;
import dev.pgha.common.store.Subscription;
import dev.pgha.common.store.Topic;
import dev.pgha.store.ZooKeeperPeer;
import java.nio.file.Files;
import java.util.EnumSet;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A member an operator removed (`pgha member remove`) stops serving and does not start again: the removal stands until
 * a fresh node (no postgres data yet) starts under that member's id, which is how a member is replaced.
 */
final class RemovalWatch implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(RemovalWatch.class);

    private final ClusterStore store;
    private final String memberId;
    private final Consumer<PghaException> onRemoved;
    private final OwnerLoop checks;
    private final Subscription subscription;

    private RemovalWatch(ClusterStore store, String memberId, Consumer<PghaException> onRemoved) {
        this.store = store;
        this.memberId = memberId;
        this.onRemoved = onRemoved;
        // store events arrive on the store's event thread, which must not wait on a read; a burst is one check
        this.checks = new OwnerLoop("removal-watch", log, this::check);
        this.subscription = store.onChange(EnumSet.of(Topic.REMOVALS), checks::trigger);
    }

    /**
     * Refuses to start a removed member, unless this node is a fresh one taking its place (its removal is then
     * cleared); then watches for a removal while the member runs.
     */
    static RemovalWatch start(
            ClusterStore store, String memberId, boolean freshNode, Consumer<PghaException> onRemoved) {
        refuseIfRemoved(store, memberId, freshNode);
        if (store.removed().contains(memberId)) {
            store.clearRemoved(memberId);
            log.info("a fresh node takes the place of removed member {}", memberId);
        }
        return new RemovalWatch(store, memberId, onRemoved);
    }

    /**
     * A node with nothing of a previous run: no postgres data and no ZooKeeper server that ran here (a witness has only
     * the latter). Read before this start joins anything.
     */
    static boolean freshNode(PghaConfig config) {
        return !Files.exists(config.pgData().resolve("PG_VERSION")) && !ZooKeeperPeer.ranIn(config.zookeeperDir());
    }

    /** Fails when {@code memberId} was removed and this node is not a fresh one. */
    static void refuseIfRemoved(ClusterStore store, String memberId, boolean freshNode) {
        if (store.removed().contains(memberId) && !freshNode) {
            throw removed(memberId);
        }
    }

    private void check() {
        try {
            if (store.removed().contains(memberId)) {
                onRemoved.accept(removed(memberId));
            }
        } catch (StoreException e) {
            log.warn("cannot check whether this member was removed: {}", e.getMessage());
        }
    }

    private static PghaException removed(String memberId) {
        return new PghaException("member " + memberId + " was removed from the cluster (`pgha member remove`) and "
                + "does not serve again: to bring this node back, empty its data directory ("
                + EnvOverrides.label("dataDir") + ") and start it with " + EnvOverrides.label("store.join")
                + " (a member's address), or leave it stopped");
    }

    @Override
    public void close() {
        subscription.close();
        checks.close();
    }
}
