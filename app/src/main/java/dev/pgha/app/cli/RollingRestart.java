package dev.pgha.app.cli;

import dev.pgha.common.PghaException;
import dev.pgha.common.config.Durations;
import dev.pgha.common.model.KeeperStatus;
import dev.pgha.common.model.OperatorRequest;
import dev.pgha.common.model.Role;
import dev.pgha.common.request.LeaderRequest;
import dev.pgha.common.request.RequestTimeouts;
import dev.pgha.common.store.ClusterSnapshot;
import dev.pgha.common.store.ClusterStore;
import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * Restarts every member's postgres one at a time without losing the leader's clients for more than a switchover:
 * standbys first, then a switchover to one of them, then the old leader (a standby by then). A single member is
 * restarted in place (clients wait while it restarts).
 */
final class RollingRestart {
    private static final Duration TIMEOUT = Duration.ofMinutes(5);

    record Result(List<String> restarted, String switchedOverTo) {}

    private RollingRestart() {}

    static Result run(Admin admin, PrintWriter out) {
        ClusterStore store = admin.store();
        String leader = admin.leader().id();
        List<String> standbys = store.snapshot().keepers().values().stream()
                .filter(k -> !k.memberId().equals(leader) && k.role() == Role.STANDBY)
                .map(KeeperStatus::memberId)
                .sorted()
                .toList();
        List<String> restarted = new ArrayList<>();
        for (String id : standbys) {
            restart(store, id, Role.STANDBY, out);
            restarted.add(id);
        }
        if (standbys.isEmpty()) {
            out.println("restarting " + leader + ", the only member: clients wait while postgres restarts");
            out.flush();
            restart(store, leader, Role.PRIMARY, out);
            restarted.add(leader);
            return new Result(restarted, null);
        }
        CheckpointFirst.onLeader(admin).ifPresent(out::println);
        LeaderRequest.Outcome o =
                LeaderRequest.run(store, OperatorRequest.Kind.SWITCHOVER, null, RequestTimeouts.ROLLING_SWITCHOVER);
        out.println("switched over from " + leader + " to " + o.to());
        out.flush();
        await(store, leader, Role.STANDBY, Instant.MIN, "rejoin as a healthy standby", TIMEOUT, k -> {});
        restart(store, leader, Role.STANDBY, out);
        restarted.add(leader);
        return new Result(restarted, o.to());
    }

    /** Asks {@code id}'s keeper to restart postgres and waits until it serves again in {@code role}. */
    static void restart(ClusterStore store, String id, Role role, PrintWriter out) {
        Instant asked = Instant.now();
        store.requestRestart(id);
        await(store, id, role, asked, "come back healthy after its restart", TIMEOUT, k -> {});
        out.println("restarted " + id);
        out.flush();
    }

    /**
     * Waits until {@code id} reports itself healthy in {@code role} after {@code after}, with no restart or re-clone
     * of it pending; {@code watch} sees its status on every look (null while its keeper does not report).
     */
    static void await(
            ClusterStore store,
            String id,
            Role role,
            Instant after,
            String what,
            Duration timeout,
            Consumer<KeeperStatus> watch) {
        Instant deadline = Instant.now().plus(timeout);
        while (Instant.now().isBefore(deadline)) {
            ClusterSnapshot s = store.snapshot();
            KeeperStatus k = s.keeper(id).orElse(null);
            watch.accept(k);
            if (!s.restarts().contains(id)
                    && !s.reinits().contains(id)
                    && k != null
                    && k.pgUp()
                    && k.healthy()
                    && k.role() == role
                    && k.updatedAt().isAfter(after)) {
                return;
            }
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new PghaException("interrupted");
            }
        }
        throw new PghaException(
                id + " did not " + what + " within " + Durations.format(timeout) + "; pgha status shows why");
    }
}
