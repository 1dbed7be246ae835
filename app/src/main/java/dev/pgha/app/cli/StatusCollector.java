package dev.pgha.app.cli;

import dev.pgha.common.model.ClusterView;
import dev.pgha.common.model.KeeperStatus;
import dev.pgha.common.model.MemberInfo;
import dev.pgha.common.model.MemberState;
import dev.pgha.common.store.ClusterSnapshot;
import dev.pgha.common.store.ClusterStore;
import dev.pgha.common.store.StoreEnsemble;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;

/** Reads the cluster's state from the store and asks every member's health checks, for {@code pgha status}. */
final class StatusCollector {
    private static final List<String> CHECKS = List.of("vm", "pg", "role");
    private static final Duration CHECK_TIMEOUT = Duration.ofSeconds(3);

    private StatusCollector() {}

    /** "voter 2", "observer 4"; "-" for a member outside the ensemble; "" when the store does not say. */
    static String storeRole(Optional<StoreEnsemble> ensemble, int server) {
        if (ensemble.isEmpty() || server == 0) {
            return "";
        }
        return ensemble.get()
                .server(server)
                .map(z -> (z.observer() ? "observer " : "voter ") + server)
                .orElse("-");
    }

    static ClusterStatus collect(ClusterStore store, String cluster, Instant now) {
        ClusterSnapshot s = store.snapshot();
        ClusterView view = s.view();
        Map<String, CompletableFuture<ClusterStatus.Checks>> checks = new HashMap<>();
        for (MemberInfo m : s.members().values()) {
            if (s.keepers().containsKey(m.id())) {
                checks.put(m.id(), checks(m));
            }
        }
        Optional<StoreEnsemble> ensemble = store.ensemble();
        List<ClusterStatus.Member> rows = new ArrayList<>();
        List<String> warnings = new ArrayList<>();
        for (MemberState member : s.memberStates()) {
            MemberInfo m = member.info();
            KeeperStatus k = member.keeper();
            ClusterStatus.Checks c =
                    checks.containsKey(m.id()) ? checks.get(m.id()).join() : null;
            rows.add(new ClusterStatus.Member(
                    m.id(),
                    m.region(),
                    member.leads() ? "leader" : "replica",
                    member.state().word(),
                    k == null ? 0 : k.timeline(),
                    member.lagBytes().isPresent() ? member.lagBytes().getAsLong() : null,
                    c,
                    m.host() + ":" + m.pgPort(),
                    k == null ? null : Duration.between(m.registeredAt(), now),
                    k == null ? "" : k.tags().describe(),
                    storeRole(ensemble, m.storeServer())));
            if (k == null) {
                warnings.add("member " + m.id() + " is down: its keeper does not report (node or daemon stopped)");
            } else if (!k.healthy() && k.problem() != null) {
                warnings.add("member " + m.id() + " is unhealthy: " + k.problem());
            } else if (k.problem() != null) {
                warnings.add("member " + m.id() + ": " + k.problem()); // a notice, e.g. parameters it reverted
            }
            if (c != null && c.passing() < c.total()) {
                warnings.add("member " + m.id() + ": health checks failing: " + String.join(", ", c.failing()));
            }
        }
        Map<String, Instant> witnesses = s.witnesses();
        Map<String, Integer> witnessServers = store.registeredWitnesses();
        Set<String> witnessIds = new TreeSet<>(witnesses.keySet());
        witnessIds.addAll(witnessServers.keySet());
        for (String w : witnessIds) {
            boolean running = witnesses.containsKey(w);
            rows.add(new ClusterStatus.Member(
                    w,
                    null,
                    "witness",
                    running ? "running" : "down",
                    0,
                    null,
                    null,
                    null,
                    running ? Duration.between(witnesses.get(w), now) : null,
                    "",
                    storeRole(ensemble, witnessServers.getOrDefault(w, 0))));
            if (!running) {
                warnings.add("witness " + w + " is down: its vote is missing from the store (`pgha member remove " + w
                        + "` if it is gone for good)");
            }
        }
        rows.sort(Comparator.comparing((ClusterStatus.Member r) -> !r.role().equals("leader"))
                .thenComparing(r -> r.role().equals("witness"))
                .thenComparing(ClusterStatus.Member::id));
        if (view.leader() == null) {
            warnings.add(0, "no leader: " + (view.reason() == null ? "the cluster is starting" : view.reason()));
        } else if (s.spec().synchronous(s.members().size())
                && view.synchronousNames().isEmpty()) {
            warnings.add(
                    0,
                    "no synchronous standby is in sync: the leader serves alone, and a failover now could "
                            + "lose acknowledged writes");
        }
        return new ClusterStatus(
                cluster,
                view.generation(),
                view.phase(),
                view.explanation(),
                view.leader(),
                s.spec().pause(),
                rows,
                warnings);
    }

    private static CompletableFuture<ClusterStatus.Checks> checks(MemberInfo m) {
        List<CompletableFuture<String>> answers = new ArrayList<>(); // null: passing; else what fails
        for (String check : CHECKS) {
            URI target = URI.create("http://" + (m.host().contains(":") ? "[" + m.host() + "]" : m.host()) + ":"
                    + m.httpPort() + "/flycheck/" + check);
            answers.add(PlainHttp.getAsync(target, CHECK_TIMEOUT)
                    .thenApply(reply -> reply.status() == 200 ? null : failingLines(check, reply.body()))
                    .exceptionally(e -> check));
        }
        return CompletableFuture.allOf(answers.toArray(CompletableFuture[]::new))
                .thenApply(v -> {
                    List<String> failing = new ArrayList<>();
                    for (int i = 0; i < CHECKS.size(); i++) {
                        String failed = answers.get(i).join();
                        if (failed != null) {
                            failing.add(failed);
                        }
                    }
                    return new ClusterStatus.Checks(CHECKS.size() - failing.size(), CHECKS.size(), failing);
                });
    }

    /** "pg (wal archiving: failing since …)": the check and its failing lines, without their timings. */
    static String failingLines(String check, String body) {
        List<String> lines = body.lines()
                .filter(l -> l.startsWith("[✗] "))
                .map(l -> l.substring(4).replaceFirst(" \\([0-9.]+[µmn]?s\\)$", ""))
                .limit(3)
                .toList();
        return lines.isEmpty() ? check : check + " (" + String.join("; ", lines) + ")";
    }
}
