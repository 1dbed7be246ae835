package dev.pgha.keeper;

import dev.pgha.common.concurrent.Closeables;
import dev.pgha.common.store.ClusterSnapshot;
import dev.pgha.common.store.ClusterStore;
import dev.pgha.common.store.SessionEvent;
import dev.pgha.common.store.SessionLease;
import dev.pgha.common.store.StoreException;
import dev.pgha.common.store.Subscription;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether the keeper may act on what it read from the store, the same test the proxy makes: its session has not
 * expired, and it surely has not, because a request on it succeeded less than a session timeout ago (the
 * {@link SessionLease}). A leader past either must stop taking writes at once: the sentinel may already have
 * promoted another member. The lease notices sooner than the session events do: a keeper that was paused (SIGSTOP,
 * a frozen VM) or cut off knows the moment it runs again, before its client has tried the server.
 */
final class StoreContact implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(StoreContact.class);
    private final ClusterStore store;
    private final SessionLease lease;
    private boolean storeDown; // owned by the keeper thread
    private final Subscription session;
    private volatile boolean sessionLost; // from LOST until RECONNECTED (a new session)
    private volatile boolean adopted;
    private final Duration sessionTimeout;

    /**
     * @param sessionTimeout the store's session timeout (store.sessionTimeout)
     * @param onChange       called (on a store thread) when the session or the lease changes
     */
    StoreContact(ClusterStore store, Duration sessionTimeout, Runnable onChange) {
        this.store = store;
        this.sessionTimeout = sessionTimeout;
        this.session = store.onSession(event -> {
            if (event == SessionEvent.LOST) {
                sessionLost = true;
                onChange.run();
            } else if (event == SessionEvent.RECONNECTED) {
                sessionLost = false; // a new session: a view read on it can be trusted again
                onChange.run();
            }
        });
        this.lease = store.lease(valid -> onChange.run());
    }

    /** Why nothing read from the store may be acted on now (null: it may), once a snapshot was adopted. */
    String cutOff() {
        if (sessionLost) {
            return "the store session expired, so another member may lead by now";
        }
        if (adopted && !lease.valid()) {
            return "no word from the cluster store for a session timeout, so another member may lead by now";
        }
        return null;
    }

    /**
     * The store has not answered for a quarter of the session timeout (its lease is running down), or this keeper
     * may not act on it at all: time for a leader in failsafe mode to ask the members.
     */
    boolean inDoubt() {
        return cutOff() != null
                || !adopted
                || lease.remaining().compareTo(sessionTimeout.multipliedBy(3).dividedBy(4)) < 0;
    }

    /** A new snapshot; {@code last} when the store cannot be read (said once in the log, and again when it can). */
    ClusterSnapshot read(ClusterSnapshot last) {
        try {
            ClusterSnapshot s = store.snapshot();
            if (storeDown) {
                log.info("store reachable again");
                storeDown = false;
            }
            return s;
        } catch (StoreException e) {
            if (!storeDown) {
                log.warn(
                        "cannot read the cluster view, acting on the last one (generation {}) while its lease lasts: {}",
                        last.view().generation(),
                        e.getMessage());
                storeDown = true;
            }
            return last;
        }
    }

    /** The session expired and no new one exists yet: no read can succeed. */
    boolean sessionLost() {
        return sessionLost;
    }

    /** The keeper acts on {@code snapshot}: true if its session surely still lives (it may act), false if not. */
    boolean adopt(ClusterSnapshot snapshot) {
        if (snapshot.session() == 0) {
            return false; // its requests ran on two sessions (the first expired meanwhile): read again
        }
        lease.adopt(snapshot);
        adopted = true;
        return lease.valid();
    }

    @Override
    public void close() {
        Closeables.closeQuietly(session, lease);
    }
}
