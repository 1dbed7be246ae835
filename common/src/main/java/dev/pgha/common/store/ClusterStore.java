package dev.pgha.common.store;

import dev.pgha.common.backup.BackupJob;
import dev.pgha.common.config.ZkPeer;
import dev.pgha.common.model.ClusterSpec;
import dev.pgha.common.model.ClusterView;
import dev.pgha.common.model.HistoryEntry;
import dev.pgha.common.model.KeeperStatus;
import dev.pgha.common.model.MemberInfo;
import dev.pgha.common.model.OperatorRequest;
import dev.pgha.common.model.ProxyStatus;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;

/**
 * One cluster's shared state, as pgha's components use it: typed reads and writes, change and session events, an
 * election and a session lease. The implementation (ZooKeeper through Curator, in the store module) is the only
 * code that knows how the state is laid out; an in-memory one serves the components' unit tests.
 *
 * <p>Every failure to reach the store surfaces as a {@link StoreException}; loops log it and retry on their next
 * tick. Writes that must not be lost to a concurrent writer are compare-and-set on a version.
 */
public interface ClusterStore extends AutoCloseable {

    // ---- reading ----------------------------------------------------------------------------------------------

    /** Everything the loops act on, read at once. */
    ClusterSnapshot snapshot();

    /** The view alone (a cheaper read for commands that poll it). */
    Optional<Versioned<ClusterView>> view();

    /** Leader changes, oldest first (a bounded list). */
    List<HistoryEntry> history();

    /** The cluster's current (or last) base backup job, empty before the first one. */
    Optional<Versioned<BackupJob>> backupJob();

    /**
     * Writes {@code next} if the backup job is still at {@code expectedVersion} (empty: only if there is none yet).
     *
     * @return false when someone else changed it first
     */
    boolean compareAndSetBackupJob(BackupJob next, Optional<Integer> expectedVersion);

    // ---- the elected sentinel's writes -------------------------------------------------------------------------

    /**
     * Writes {@code next} if the view is still at {@code expectedVersion} (empty: only if no view exists yet).
     *
     * @return false when someone else changed the view first
     */
    boolean compareAndSetView(ClusterView next, Optional<Integer> expectedVersion);

    boolean compareAndSetSpec(ClusterSpec next, Optional<Integer> expectedVersion);

    /** Appends a leader change, keeping the newest {@code limit} entries. */
    void appendHistory(HistoryEntry entry, int limit);

    /** Answers (or otherwise updates) the request if it is still at {@code expectedVersion}. */
    boolean compareAndSetRequest(OperatorRequest next, int expectedVersion);

    /** Removes the request if it is still at {@code expectedVersion}. */
    void deleteRequest(int expectedVersion);

    /** Deletes a member's registration (a member gone for cluster.deadMemberRemovalInterval). */
    void removeMember(String id);

    /**
     * Records that an operator removed member {@code id} (`pgha member remove`): the member stops serving when it
     * sees this, and does not start again, until a fresh node joins under that id ({@link #clearRemoved}).
     */
    void markRemoved(String id);

    /** Members an operator removed. */
    Set<String> removed();

    void clearRemoved(String id);

    /** Records that the store's server {@code id} left for good: a server joining later never takes its id. */
    void retireStoreServer(int id);

    /** Ids of the store's servers that left for good. */
    Set<Integer> retiredStoreServers();

    /** The store's own servers, when the store reports them (an embedded or a reconfigurable ensemble). */
    Optional<StoreEnsemble> ensemble();

    /**
     * Changes the store's servers from configuration {@code fromVersion}: adds (or changes the role of)
     * {@code joining}, removes the servers {@code leaving}. Returns the new ensemble.
     *
     * @throws EnsembleChangeException when the store refuses; its kind says whether to read again and retry
     */
    StoreEnsemble changeEnsemble(List<ZkPeer> joining, List<Integer> leaving, long fromVersion);

    // ---- a member's own state ----------------------------------------------------------------------------------

    /** Registers (or updates) a member: how the others reach it. Persistent. */
    void register(MemberInfo member);

    /**
     * This member's keeper status, kept while its session lives. A status its previous run left behind (which would
     * make it look alive until that session expires) is removed first.
     */
    Published<KeeperStatus> keeperStatus(String memberId);

    /** The view generation this member's proxy routes by, kept while its session lives (leftovers removed first). */
    Published<ProxyStatus> proxyStatus(String memberId);

    /** Records which embedded ZooKeeper server witness {@code id} runs (persistent: `pgha member remove` reads it). */
    void registerWitness(String id, int storeServer);

    /** The witnesses that registered their server: witness id to server id. */
    Map<String, Integer> registeredWitnesses();

    /** Forgets witness {@code id}'s registration (`pgha member remove`). */
    void removeWitness(String id);

    /** A witness's presence (for `pgha status`), kept while its session lives (leftovers removed first). */
    Published<Instant> witness(String memberId);

    /** Removes the restart request of {@code memberId} (its keeper has restarted postgres). */
    void clearRestart(String memberId);

    // ---- operators' writes -------------------------------------------------------------------------------------

    /** Creates the request; false when another one is already there. */
    boolean createRequest(OperatorRequest request);

    /** postgres parameters for every member (name to value), replacing the stored set. */
    void setParameters(Map<String, String> parameters);

    /** Asks {@code memberId}'s keeper to restart postgres. */
    void requestRestart(String memberId);

    /** Asks {@code memberId}'s keeper to replace its data with a fresh clone of the leader's (`pgha reinit`). */
    void requestReinit(String memberId);

    /** Removes the re-clone request of {@code memberId} (its keeper has started the clone). */
    void clearReinit(String memberId);

    // ---- events ------------------------------------------------------------------------------------------------

    /**
     * Calls {@code listener} whenever anything of {@code topics} changes. It runs on the store's event thread, shared
     * by every listener: it must only hand the work to its owner (e.g. trigger a loop).
     */
    Subscription onChange(Set<Topic> topics, Runnable listener);

    /** Calls {@code listener} (on the store's event thread, see {@link #onChange}) when the session changes state. */
    Subscription onSession(Consumer<SessionEvent> listener);

    /** True while connected to the store. */
    boolean connected();

    /**
     * A started lease on this member's session (see {@link SessionLease}).
     *
     * @param onChange told (on the lease's own thread) when the lease starts or stops being valid
     */
    SessionLease lease(Consumer<Boolean> onChange);

    /**
     * Joins the sentinels' election as {@code memberId}.
     *
     * @param onChange told (on the store's event thread) when this member gains or loses the leadership
     */
    Election election(String memberId, Consumer<Boolean> onChange);

    /** Disconnects; this member's published values vanish with its session. */
    @Override
    void close();
}
