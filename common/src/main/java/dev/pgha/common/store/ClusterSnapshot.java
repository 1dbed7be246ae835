package dev.pgha.common.store;

import dev.pgha.common.model.ClusterSpec;
import dev.pgha.common.model.ClusterView;
import dev.pgha.common.model.KeeperStatus;
import dev.pgha.common.model.Lsn;
import dev.pgha.common.model.MemberInfo;
import dev.pgha.common.model.MemberState;
import dev.pgha.common.model.OperatorRequest;
import dev.pgha.common.model.ProxyStatus;
import dev.pgha.common.model.Role;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Everything a component acts on, read from the store at once, like Patroni's Cluster object: each loop reads one
 * snapshot per cycle and decides from it alone. Derived facts (a member's state word, its replication lag) are
 * computed here, once, so the proxy, the health endpoints, the metrics and `pgha status` agree.
 *
 * @param storedView  the view and its version, empty before the sentinel wrote one
 * @param storedSpec  the spec and its version, empty before the sentinel wrote one
 * @param members     registered database members by id
 * @param keepers     live keepers' statuses by member id (a keeper whose session ended is absent)
 * @param proxies     live proxies' acknowledgements by member id
 * @param witnesses   live witnesses by id, with the time each started
 * @param request     the pending operator request and its version, if any
 * @param parameters  postgres parameters set by `pgha config set`
 * @param restarts    members asked to restart their postgres
 * @param reinits     standbys asked to re-clone their data from the leader (`pgha reinit`)
 * @param session     the store session every request of the read ran on (0: none, or the session was replaced
 *                    during the read); see {@link SessionLease#adopt}
 * @param readStartNanos {@link System#nanoTime()} when the read was sent
 */
public record ClusterSnapshot(
        Optional<Versioned<ClusterView>> storedView,
        Optional<Versioned<ClusterSpec>> storedSpec,
        Map<String, MemberInfo> members,
        Map<String, KeeperStatus> keepers,
        Map<String, ProxyStatus> proxies,
        Map<String, Instant> witnesses,
        Optional<Versioned<OperatorRequest>> request,
        Map<String, String> parameters,
        Set<String> restarts,
        Set<String> reinits,
        long session,
        long readStartNanos) {

    public ClusterSnapshot {
        members = sortedCopy(members);
        keepers = sortedCopy(keepers);
        proxies = sortedCopy(proxies);
        witnesses = sortedCopy(witnesses);
        parameters = sortedCopy(parameters);
        restarts = Set.copyOf(new TreeSet<>(restarts));
        reinits = Set.copyOf(new TreeSet<>(reinits));
    }

    private static <T> Map<String, T> sortedCopy(Map<String, T> map) {
        return Collections.unmodifiableMap(new TreeMap<>(map));
    }

    /** A snapshot of a store that holds nothing yet (tests, and a first start). */
    public static ClusterSnapshot empty() {
        return new ClusterSnapshot(
                Optional.empty(),
                Optional.empty(),
                Map.of(),
                Map.of(),
                Map.of(),
                Map.of(),
                Optional.empty(),
                Map.of(),
                Set.of(),
                Set.of(),
                0,
                System.nanoTime());
    }

    /** The view; {@link ClusterView#initial()} before the sentinel wrote one. */
    public ClusterView view() {
        return storedView.map(Versioned::value).orElse(ClusterView.initial());
    }

    /** The spec; the defaults before the sentinel wrote one. */
    public ClusterSpec spec() {
        return storedSpec.map(Versioned::value).orElse(ClusterSpec.of(null));
    }

    public Optional<MemberInfo> member(String id) {
        return Optional.ofNullable(members.get(id));
    }

    public Optional<KeeperStatus> keeper(String id) {
        return Optional.ofNullable(keepers.get(id));
    }

    /** The leader's latest status; empty while leaderless or while its keeper does not report. */
    public Optional<KeeperStatus> leaderStatus() {
        String leader = view().leader();
        return leader == null ? Optional.empty() : keeper(leader);
    }

    /** The same snapshot with another spec (the elected sentinel's own, which it is about to write). */
    public ClusterSnapshot withSpec(ClusterSpec spec, int version) {
        return new ClusterSnapshot(
                storedView,
                Optional.of(new Versioned<>(spec, version)),
                members,
                keepers,
                proxies,
                witnesses,
                request,
                parameters,
                restarts,
                reinits,
                session,
                readStartNanos);
    }

    /** The same snapshot without the registrations of {@code removed} (members the sentinel just removed). */
    public ClusterSnapshot withoutMembers(Collection<String> removed) {
        Map<String, MemberInfo> remaining = new TreeMap<>(members);
        removed.forEach(remaining::remove);
        return new ClusterSnapshot(
                storedView,
                storedSpec,
                remaining,
                keepers,
                proxies,
                witnesses,
                request,
                parameters,
                restarts,
                reinits,
                session,
                readStartNanos);
    }

    /**
     * Bytes of WAL the leader has written that {@code memberId} has not replayed yet, by both keepers' latest
     * reports; empty for the leader itself, for a member that is not a running standby, and while the leader does
     * not report.
     */
    public OptionalLong lagBytes(String memberId) {
        KeeperStatus k = keepers.get(memberId);
        Optional<KeeperStatus> leader = leaderStatus();
        if (k == null || leader.isEmpty() || memberId.equals(view().leader()) || k.role() != Role.STANDBY) {
            return OptionalLong.empty();
        }
        return OptionalLong.of(Lsn.behind(leader.get().writtenLsn(), k.replayedLsn()));
    }

    /** Every registered member's role, state and lag, the leader first, then by id. */
    public List<MemberState> memberStates() {
        ClusterView view = view();
        List<MemberState> states = new ArrayList<>();
        for (MemberInfo m : members.values()) {
            KeeperStatus k = keepers.get(m.id());
            boolean leads = m.id().equals(view.leader());
            states.add(new MemberState(
                    m, k, leads, view.synchronousNames().contains(m.id()), MemberState.State.of(k), lagBytes(m.id())));
        }
        states.sort(Comparator.comparing((MemberState s) -> !s.leads())
                .thenComparing(s -> s.info().id()));
        return List.copyOf(states);
    }
}
