package dev.pgha.app.health;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pgha.common.config.PghaConfig;
import dev.pgha.common.health.CheckReport;
import dev.pgha.common.health.CheckResult;
import dev.pgha.common.model.ClusterView;
import dev.pgha.common.model.HistoryEntry;
import dev.pgha.common.model.Json;
import dev.pgha.common.model.KeeperStatus;
import dev.pgha.common.model.MemberInfo;
import dev.pgha.common.model.MemberState;
import dev.pgha.common.model.MemberTags;
import dev.pgha.common.store.ClusterSnapshot;
import dev.pgha.common.store.ClusterStore;
import dev.pgha.common.store.StoreException;
import dev.pgha.keeper.Keeper;
import dev.pgha.net.HttpReply;
import dev.pgha.net.HttpRequestInfo;
import dev.pgha.postgres.PgChecks;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The health-check HTTP endpoints of one member. Fly's checks ({@code /flycheck/vm}, {@code /flycheck/pg}: 200
 * when every line passes, else 500; {@code /flycheck/role}: leader, replica, readonly or offline) and Patroni's
 * ({@code /primary}, {@code /replica?lag=}, {@code /read-only}, {@code /health}, ...: 200 or 503), so load
 * balancers and health-check scripts that already speak either work unchanged.
 */
public final class HealthApi {
    private static final Logger log = LoggerFactory.getLogger(HealthApi.class);
    private static final Pattern BYTES = Pattern.compile("(\\d+)\\s*([kKMGT]?B?)");

    private final String memberId;
    private final String clusterName;
    private final Keeper keeper;
    private final PgChecks pg;
    private final VmChecks vm;
    private final ClusterStore store;
    private final Duration livenessBound;
    private final Map<String, Boolean> lastOutcome = new ConcurrentHashMap<>();

    public HealthApi(
            String memberId,
            String clusterName,
            Keeper keeper,
            PgChecks pg,
            Path dataDir,
            PghaConfig.Health limits,
            ClusterStore store,
            Duration heartbeat) {
        this.memberId = memberId;
        this.clusterName = clusterName;
        this.keeper = keeper;
        this.pg = pg;
        this.vm = new VmChecks(
                dataDir, Path.of("/proc"), limits, Runtime.getRuntime().availableProcessors());
        this.store = store;
        // the keeper publishes every heartbeat, whatever the store does; a loop stuck far longer is not alive
        this.livenessBound = Duration.ofSeconds(10).plus(heartbeat.multipliedBy(10));
    }

    /** Path to endpoint. */
    public Map<String, Function<HttpRequestInfo, HttpReply>> routes() {
        Map<String, Function<HttpRequestInfo, HttpReply>> r = new LinkedHashMap<>();
        r.put("/flycheck/vm", q -> flycheck("vm", vm.run()));
        r.put("/flycheck/pg", q -> {
            ClusterView view = keeper.view();
            return flycheck("pg", pg.flycheck(view, leaderInfo(view)));
        });
        r.put("/flycheck/role", q -> roleReply());
        for (String p : List.of("/primary", "/leader", "/master", "/read-write")) {
            r.put(p, q -> patroni(role -> role == Role.LEADER));
        }
        r.put("/replica", this::replica);
        r.put("/read-only", q -> patroni(role -> role == Role.LEADER || role == Role.REPLICA));
        r.put("/health", q -> patroni(role -> role != Role.OFFLINE));
        r.put("/liveness", q -> liveness());
        r.put("/readiness", q -> patroni(role -> role == Role.LEADER || role == Role.REPLICA && streaming()));
        for (String p : List.of("/sync", "/synchronous")) {
            r.put(p, q -> patroni(role -> role == Role.REPLICA && synchronous()));
        }
        for (String p : List.of("/async", "/asynchronous")) {
            r.put(p, q -> patroni(role -> role == Role.REPLICA && !synchronous()));
        }
        r.put("/cluster", q -> cluster());
        r.put("/history", q -> history());
        return r;
    }

    /**
     * A witness's endpoints: it has no postgres, so /flycheck/role answers "witness", /liveness answers while the
     * daemon runs, and /flycheck/vm checks its machine like any member's (a container HEALTHCHECK of `pgha check
     * role` passes on a witness too).
     */
    public static Map<String, Function<HttpRequestInfo, HttpReply>> witnessRoutes(
            Path dataDir, PghaConfig.Health limits) {
        VmChecks vm = new VmChecks(
                dataDir, Path.of("/proc"), limits, Runtime.getRuntime().availableProcessors());
        Map<String, Function<HttpRequestInfo, HttpReply>> r = new LinkedHashMap<>();
        r.put("/flycheck/vm", q -> {
            CheckReport report = vm.run();
            return HttpReply.text(report.passed() ? 200 : 500, report.render());
        });
        r.put("/flycheck/role", q -> HttpReply.text(200, "witness\n"));
        r.put("/liveness", q -> HttpReply.text(200, "alive\n"));
        return r;
    }

    /** The deadline for any one endpoint: /flycheck/pg may wait for two connections and three statements. */
    public static Duration deadline(Duration checkTimeout) {
        return checkTimeout.multipliedBy(4).plusSeconds(1);
    }

    // ---- Fly ------------------------------------------------------------------------------------------------

    private HttpReply flycheck(String name, CheckReport report) {
        boolean passed = report.passed();
        Boolean before = lastOutcome.put(name, passed);
        if (before == null ? !passed : before != passed) {
            String failing = report.results().stream()
                    .filter(c -> !c.passed())
                    .map(CheckResult::line)
                    .reduce((a, b) -> a + " " + b)
                    .orElse("");
            if (passed) {
                log.info("{}: passing again", name);
            } else {
                log.warn("{}: failing: {}", name, failing);
            }
        }
        return HttpReply.text(passed ? 200 : 500, report.render());
    }

    private HttpReply roleReply() {
        Role role = role();
        return HttpReply.text(role == Role.OFFLINE ? 500 : 200, role.word + "\n");
    }

    /** What this member is right now, from its postgres and the view its keeper acts on. */
    Role role() {
        Optional<PgChecks.LocalState> s = pg.local();
        if (s.isEmpty()) {
            return Role.OFFLINE;
        }
        if (s.get().inRecovery()) {
            return Role.REPLICA;
        }
        if (memberId.equals(keeper.view().leader())) {
            return s.get().readOnly() ? Role.READONLY : Role.LEADER;
        }
        return Role.OFFLINE; // a primary that does not lead is being fenced: it serves no one
    }

    enum Role {
        LEADER("leader"),
        REPLICA("replica"),
        READONLY("readonly"),
        OFFLINE("offline");

        final String word;

        Role(String word) {
            this.word = word;
        }
    }

    // ---- Patroni --------------------------------------------------------------------------------------------

    private HttpReply patroni(Predicate<Role> ok) {
        Role role = role();
        return HttpReply.text(ok.test(role) ? 200 : 503, role.word + "\n");
    }

    /** /replica: a running standby; with ?lag=16MB (or bytes), also no further behind the leader than that. */
    private HttpReply replica(HttpRequestInfo q) {
        Role role = role();
        if (role != Role.REPLICA) {
            return HttpReply.text(503, role.word + "\n");
        }
        Optional<String> lagParam = q.param("lag");
        if (lagParam.isEmpty()) {
            return HttpReply.text(200, "replica\n");
        }
        long maxLag;
        try {
            maxLag = parseBytes(lagParam.get());
        } catch (IllegalArgumentException e) {
            return HttpReply.text(400, "bad lag " + lagParam.get() + ": give bytes, e.g. lag=1048576 or lag=16MB\n");
        }
        OptionalLong lag = lagBytes();
        if (lag.isEmpty()) {
            return HttpReply.text(503, "replica, lag unknown (no leader, or the store is unreachable)\n");
        }
        return HttpReply.text(lag.getAsLong() <= maxLag ? 200 : 503, "replica, lag " + lag.getAsLong() + " bytes\n");
    }

    /** Bytes of WAL the leader has written that this member has not replayed, by the keepers' latest reports. */
    private OptionalLong lagBytes() {
        return keeper.snapshot().lagBytes(memberId);
    }

    static long parseBytes(String s) {
        String v = s.strip();
        Matcher m = BYTES.matcher(v);
        if (!m.matches()) {
            throw new IllegalArgumentException(s);
        }
        long n = Long.parseLong(m.group(1));
        String unit = m.group(2).toUpperCase(Locale.ROOT);
        int shift = switch (unit.isEmpty() ? ' ' : unit.charAt(0)) {
            case 'K' -> 10;
            case 'M' -> 20;
            case 'G' -> 30;
            case 'T' -> 40;
            default -> 0;
        };
        return n << shift;
    }

    private boolean streaming() {
        return keeper.status().map(s -> s.following() != null).orElse(false);
    }

    private boolean synchronous() {
        return keeper.view().synchronousNames().contains(memberId);
    }

    private HttpReply liveness() {
        Optional<KeeperStatus> s = keeper.status();
        if (s.isEmpty()) {
            return HttpReply.text(503, "starting\n");
        }
        Duration age = Duration.between(s.get().updatedAt(), Instant.now());
        return age.compareTo(livenessBound) > 0
                ? HttpReply.text(503, "keeper loop silent for " + age.toSeconds() + " s\n")
                : HttpReply.text(200, "alive\n");
    }

    /** Patroni's /cluster: every registered member with role, state, address, timeline and lag. */
    private HttpReply cluster() {
        ClusterSnapshot s;
        try {
            s = store.snapshot();
        } catch (StoreException e) {
            return HttpReply.text(503, "cannot read the cluster state: " + e.getMessage() + "\n");
        }
        ClusterView view = s.view();
        ObjectNode root = Json.mapper().createObjectNode();
        root.put("scope", clusterName);
        root.put("generation", view.generation());
        root.put("phase", view.phase().toString());
        if (view.reason() != null) {
            root.put("reason", view.explanation());
        }
        root.put("pause", s.spec().paused()); // Patroni's field
        if (s.spec().paused()) {
            root.put("paused_since", s.spec().pause().since().toString());
            if (s.spec().pause().until() != null) {
                root.put("paused_until", s.spec().pause().until().toString());
            }
        }
        ArrayNode list = root.putArray("members");
        for (MemberState member : s.memberStates()) {
            MemberInfo m = member.info();
            KeeperStatus k = member.keeper();
            ObjectNode n = list.addObject();
            n.put("name", m.id());
            n.put("role", member.leads() ? "leader" : member.synchronous() ? "sync_standby" : "replica");
            n.put("state", member.state().word());
            n.put("host", m.host());
            n.put("port", m.pgPort());
            n.put("api_url", "http://" + m.host() + ":" + m.httpPort());
            if (m.region() != null) {
                n.put("region", m.region());
            }
            if (k != null && k.timeline() > 0) {
                n.put("timeline", k.timeline());
            }
            if (k != null && !k.tags().equals(MemberTags.NONE)) { // Patroni's names
                ObjectNode tags = n.putObject("tags");
                if (k.tags().noFailover()) {
                    tags.put("nofailover", true);
                }
                if (k.tags().noSync()) {
                    tags.put("nosync", true);
                }
                if (k.tags().noLoadBalance()) {
                    tags.put("noloadbalance", true);
                }
                if (k.tags().failoverPriority() != 0) {
                    tags.put("failover_priority", k.tags().failoverPriority());
                }
                if (k.tags().cloneFrom()) {
                    tags.put("clonefrom", true);
                }
            }
            if (!member.leads()) {
                if (member.lagBytes().isPresent()) {
                    n.put("lag", member.lagBytes().getAsLong());
                } else {
                    n.put("lag", "unknown");
                }
            }
        }
        return HttpReply.json(200, root.toPrettyString() + "\n");
    }

    private HttpReply history() {
        List<HistoryEntry> entries;
        try {
            entries = store.history();
        } catch (StoreException e) {
            return HttpReply.text(503, "cannot read the history: " + e.getMessage() + "\n");
        }
        ArrayNode list = Json.mapper().createArrayNode();
        for (HistoryEntry h : entries) {
            ObjectNode n = list.addObject();
            n.put("time", h.time().toString());
            n.put("generation", h.generation());
            n.put("old_leader", h.oldLeader());
            n.put("new_leader", h.newLeader());
            n.put("reason", h.reason());
            n.put("lsn", h.leaderLsn());
        }
        return HttpReply.json(200, list.toPrettyString() + "\n");
    }

    private Optional<MemberInfo> leaderInfo(ClusterView view) {
        return view.leader() == null ? Optional.empty() : keeper.snapshot().member(view.leader());
    }
}
