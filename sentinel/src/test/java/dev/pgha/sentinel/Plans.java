package dev.pgha.sentinel;

import dev.pgha.common.model.ClusterSpec;
import dev.pgha.common.model.ClusterView;
import dev.pgha.common.model.KeeperStatus;
import dev.pgha.common.model.MemberInfo;
import dev.pgha.common.model.OperatorRequest;
import dev.pgha.common.model.ProxyStatus;
import dev.pgha.common.model.Statuses;
import dev.pgha.common.store.ClusterSnapshot;
import dev.pgha.common.store.Versioned;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/** The planner's tables are written in views, keepers, proxies and member ids: this makes snapshots of them. */
final class Plans {
    private Plans() {}

    static ClusterSnapshot snapshot(
            ClusterView view,
            Map<String, KeeperStatus> keepers,
            Map<String, ProxyStatus> proxies,
            Set<String> members,
            ClusterSpec spec) {
        Map<String, MemberInfo> registered = new TreeMap<>();
        members.forEach(id -> registered.put(id, new MemberInfo(id, null, id + ".internal", 5433, 5432, 5500, null)));
        return new ClusterSnapshot(
                Optional.of(new Versioned<>(view, 1)),
                Optional.of(new Versioned<>(spec, 1)),
                registered,
                keepers,
                proxies,
                Map.of(),
                Optional.empty(),
                Map.of(),
                Set.of(),
                Set.of(),
                1,
                System.nanoTime());
    }

    static ClusterView next(
            ClusterView view,
            Map<String, KeeperStatus> keepers,
            Map<String, ProxyStatus> proxies,
            Set<String> members,
            ClusterSpec spec,
            Instant now) {
        return next(view, keepers, proxies, members, spec, null, now);
    }

    static ClusterView next(
            ClusterView view,
            Map<String, KeeperStatus> keepers,
            Map<String, ProxyStatus> proxies,
            Set<String> members,
            ClusterSpec spec,
            OperatorRequest accepted,
            Instant now) {
        return next(view, keepers, proxies, members, spec, accepted, Liveness.fresh(), now);
    }

    /** As the elected sentinel that has seen {@code liveness} on its own clock. */
    static ClusterView next(
            ClusterView view,
            Map<String, KeeperStatus> keepers,
            Map<String, ProxyStatus> proxies,
            Set<String> members,
            ClusterSpec spec,
            OperatorRequest accepted,
            Liveness liveness,
            Instant now) {
        return ViewPlanner.next(snapshot(view, keepers, proxies, members, spec), accepted, liveness, now);
    }

    static RequestRules.Verdict check(
            OperatorRequest request,
            ClusterView view,
            Map<String, KeeperStatus> keepers,
            Set<String> members,
            ClusterSpec spec) {
        return RequestRules.check(request, snapshot(view, keepers, Map.of(), members, spec));
    }

    /** Statuses by member id, in the order given. */
    static Map<String, KeeperStatus> keepers(KeeperStatus... ks) {
        Map<String, KeeperStatus> m = new LinkedHashMap<>();
        for (KeeperStatus k : ks) {
            m.put(k.memberId(), k);
        }
        return m;
    }

    /** Every proxy in {@code ids} has acknowledged {@code generation}. */
    static Map<String, ProxyStatus> proxies(long generation, String... ids) {
        Map<String, ProxyStatus> m = new LinkedHashMap<>();
        for (String id : ids) {
            m.put(id, new ProxyStatus(id, generation, Statuses.NOW));
        }
        return m;
    }
}
