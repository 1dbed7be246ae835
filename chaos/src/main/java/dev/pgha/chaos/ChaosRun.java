package dev.pgha.chaos;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.CompletableFuture;

/**
 * One chaos run, inside the hub namespace (where the workload can reach every node): start the cluster, run the
 * workload, inject the planned faults one after another (each healed, then the cluster given time to recover), heal
 * everything, let it settle, stop the workload and judge what it recorded against what the cluster holds.
 */
public final class ChaosRun {
    private static final Duration RECOVERY = Duration.ofSeconds(120);

    private final Plan plan;
    private final long t0 = System.nanoTime();
    private final List<String> events = new ArrayList<>();
    private final Map<String, int[]> injected = new LinkedHashMap<>();
    private final Map<String, Double> maxRecovery = new LinkedHashMap<>();
    private final List<long[]> faultWindows = new ArrayList<>();
    private final List<String> faultKinds = new ArrayList<>();
    private final List<String> faultNames = new ArrayList<>();
    private final List<String> outageProblems = new ArrayList<>();
    private final Random random;

    private ChaosRun(Plan plan) {
        this.plan = plan;
        this.random = new Random(plan.seed() ^ 0x5DEECE66DL);
        for (Fault f : Fault.values()) {
            injected.put(f.label, new int[2]);
            maxRecovery.put(f.label, 0.0);
        }
    }

    public static void main(String[] args) throws Exception {
        Plan plan = new ObjectMapper().readValue(Path.of(args[0]).toFile(), Plan.class);
        Report report = new ChaosRun(plan).run();
        new ObjectMapper()
                .enable(SerializationFeature.INDENT_OUTPUT)
                .writeValue(Path.of(plan.report()).toFile(), report);
        System.out.println();
        System.out.print(report.render());
        System.exit(report.passed() ? 0 : 1);
    }

    private void log(String message) {
        String line = String.format(Locale.ROOT, "[%7.1fs] %s", (System.nanoTime() - t0) / 1e9, message);
        events.add(line);
        System.out.println(line);
    }

    private Report run() throws Exception {
        Topology topology = new Topology(plan.prefix(), plan.nodes());
        try (ClusterUnderTest cluster = new ClusterUnderTest(
                topology,
                Path.of(plan.work()),
                Path.of(plan.pghaJar()),
                plan.async(),
                plan.maxLag(),
                plan.synchronousStandbys(),
                kinds())) {
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                try {
                    cluster.close();
                } catch (InterruptedException ignored) {
                    // the launcher sweeps the namespaces anyway
                }
            }));
            for (int i = 1; i <= cluster.size; i++) {
                cluster.startPeer(i);
            }
            for (int i = 1; i <= cluster.size; i++) {
                cluster.startNode(i);
            }
            log("started " + cluster.size + " ZooKeeper peers and " + cluster.size + " pgha nodes ("
                    + String.join(", ", names(cluster)) + ")");
            if (!awaitHealthy(cluster, Duration.ofSeconds(180))) {
                throw new IllegalStateException("the cluster did not become healthy within 180 s: "
                        + cluster.problem().orElse("?") + "; see the node logs");
            }
            createSchema(cluster);
            Workload workload = new Workload(cluster.proxiesUrl(), t0);
            workload.start(plan.appenders(), plan.registers());
            log("workload: " + plan.appenders() + " append clients, " + plan.registers()
                    + " register clients, through every node's proxy");
            sleep(5000);
            long faultsFrom = now();
            boolean recovering = true;
            for (Fault fault : Fault.schedule(plan.seed(), plan.faults(), kinds())) {
                if (!recovering) {
                    break;
                }
                recovering = inject(cluster, fault);
                sleep(3000);
            }
            log("healing everything");
            healAll(cluster);
            boolean healthy = awaitHealthy(cluster, RECOVERY);
            sleep(5000);
            long faultsTo = now();
            workload.close();
            log("workload stopped: " + workload.history.size() + " operations");
            List<Op> history = new ArrayList<>(workload.history);
            Optional<String> problem = cluster.problem();
            String health;
            List<Checker.Row> rows = List.of();
            if (healthy && problem.isEmpty()) {
                int leader = cluster.leader().orElseThrow();
                rows = readAppends(Topology.address(leader), 5433);
                history.add(finalRead(Topology.address(leader)));
                health = "healthy: leader " + ClusterUnderTest.name(leader) + ", every standby streaming"
                        + standbysCaughtUp(cluster, leader, rows.size());
                healthy = !health.contains("behind");
            } else {
                health = "UNHEALTHY: " + problem.orElse("did not recover within " + RECOVERY.toSeconds() + " s");
                healthy = false;
            }
            return judge(history, rows, faultsFrom, faultsTo, health, healthy);
        }
    }

    private long now() {
        return System.nanoTime() - t0;
    }

    /** The fault kinds this run injects. */
    private List<Fault> kinds() {
        return plan.only() == null || plan.only().isEmpty()
                ? List.of(Fault.values())
                : plan.only().stream().map(Fault::byLabel).toList();
    }

    /** Injects one fault, heals it, and waits for recovery; false when the cluster did not recover. */
    private boolean inject(ClusterUnderTest cluster, Fault fault) throws Exception {
        if (!awaitHealthy(cluster, RECOVERY)) {
            log("cluster not healthy before " + fault.label + ": "
                    + cluster.problem().orElse("?") + "; stopping faults");
            return false;
        }
        int leader = cluster.leader().orElseThrow();
        long start = now();
        switch (fault) {
            case KILL_LEADER -> killAndRestart(cluster, leader, fault);
            case KILL_STANDBY -> {
                int standby = other(cluster, leader);
                killAndRestart(cluster, standby, fault);
            }
            case PAUSE_LEADER -> {
                log("nemesis: " + fault.label + " " + ClusterUnderTest.name(leader) + " (SIGSTOP of its daemon)");
                cluster.pause(leader);
                sleep(8000);
                cluster.resume(leader);
                log("nemesis: SIGCONT " + ClusterUnderTest.name(leader));
            }
            case PAUSE_NODE -> {
                List<Long> frozen = cluster.nodeProcesses(leader);
                log("nemesis: " + fault.label + " " + ClusterUnderTest.name(leader) + " (SIGSTOP of its daemon and "
                        + (frozen.size() - 1) + " postgres processes)");
                Shell.signal(frozen, "STOP");
                sleep(8000);
                Shell.signal(frozen, "CONT");
                log("nemesis: SIGCONT " + ClusterUnderTest.name(leader) + " (every process at once)");
            }
            case PARTITION_LEADER -> {
                log("nemesis: " + fault.label + " " + ClusterUnderTest.name(leader) + " cut off from the other nodes");
                cluster.topology.isolate(leader);
                sleep(12000);
                cluster.topology.heal(leader);
                log("nemesis: partition healed");
            }
            case KILL_ZK_PEER -> {
                log("nemesis: " + fault.label + " on " + ClusterUnderTest.name(leader));
                cluster.killPeer(leader);
                sleep(10000);
                cluster.startPeer(leader);
                log("nemesis: ZooKeeper peer on " + ClusterUnderTest.name(leader) + " restarted");
            }
            case STORE_OUTAGE -> {
                log("nemesis: " + fault.label + ": every ZooKeeper peer killed");
                for (int i = 1; i <= cluster.size; i++) {
                    cluster.killPeer(i);
                }
                sleep(15000);
                List<CompletableFuture<String>> probes = new ArrayList<>();
                for (int i = 1; i <= cluster.size; i++) {
                    int node = i;
                    probes.add(CompletableFuture.supplyAsync(() -> probeProxy(node)));
                }
                sleep(15000);
                for (CompletableFuture<String> p : probes) {
                    String answer = p.join();
                    log("store outage: " + answer);
                    if (answer.contains("NOT listening")) {
                        outageProblems.add(answer);
                    }
                }
                for (int i = 1; i <= cluster.size; i++) {
                    cluster.startPeer(i);
                }
                log("nemesis: ZooKeeper peers restarted");
            }
            case CPU_STARVATION -> {
                int cores = Runtime.getRuntime().availableProcessors();
                log("nemesis: " + fault.label + ": stress-ng --cpu " + cores + " for 60 s");
                Shell.Result r = Shell.run(
                        List.of("stress-ng", "--cpu", Integer.toString(cores), "--timeout", "60s", "--quiet"));
                if (r.code() != 0) {
                    throw new IllegalStateException(
                            "stress-ng failed (" + r.code() + "): " + r.output() + " (apt-get install -y stress-ng)");
                }
                log("nemesis: CPU free again");
            }
            case CLOCK_SKEW -> {
                int node = random.nextInt(cluster.size) + 1;
                int seconds = random.nextBoolean() ? 30 : -30;
                log("nemesis: " + fault.label + " " + ClusterUnderTest.name(node) + ": its clock " + Math.abs(seconds)
                        + " s " + (seconds > 0 ? "ahead" : "behind") + " for 30 s");
                cluster.clocks.skew(node, seconds);
                sleep(30000);
                cluster.clocks.reset(node);
                log("nemesis: " + ClusterUnderTest.name(node) + "'s clock right again");
                // no excuse: a leader change while the clock was wrong counts as one without a fault
                start = now();
            }
            case STANDBY_DISK_FULL -> {
                int standby = other(cluster, leader);
                long ballast = cluster.volumes.fill(standby);
                log(String.format(
                        Locale.ROOT,
                        "nemesis: %s %s: its volume filled to the last byte (%d MB more)",
                        fault.label,
                        ClusterUnderTest.name(standby),
                        ballast >> 20));
                sleep(20000);
                cluster.volumes.free(standby);
                log("nemesis: " + ClusterUnderTest.name(standby) + "'s volume freed");
            }
            case RESTART_ALL -> {
                log("nemesis: " + fault.label + ": kill -9 of every node");
                for (int i = 1; i <= cluster.size; i++) {
                    cluster.killNode(i);
                }
                sleep(2000);
                for (int i = 1; i <= cluster.size; i++) {
                    cluster.startNode(i);
                }
                log("nemesis: every node restarted");
            }
        }
        injected.get(fault.label)[0]++;
        boolean recovered = awaitHealthy(cluster, RECOVERY);
        double took = (now() - start) / 1e9;
        faultWindows.add(new long[] {start, now()});
        faultKinds.add(fault.label);
        faultNames.add(fault.label + " " + ClusterUnderTest.name(leader));
        if (recovered) {
            injected.get(fault.label)[1]++;
            maxRecovery.merge(fault.label, took, Math::max);
            log(String.format(
                    Locale.ROOT,
                    "healthy again %.1f s after the fault began (leader %s)",
                    took,
                    cluster.leader().map(ClusterUnderTest::name).orElse("?")));
        } else {
            log("NOT healthy " + RECOVERY.toSeconds() + " s after the fault: "
                    + cluster.problem().orElse("?"));
        }
        return recovered;
    }

    /**
     * A client's view of a proxy while the store is away: it must accept the connection and either serve it (the
     * leader kept serving) or answer with postgres's "cannot connect now" (57P03), never refuse the connection.
     */
    private static String probeProxy(int node) {
        String who = "proxy of " + ClusterUnderTest.name(node);
        try (Connection c = ClusterUnderTest.connect(Topology.address(node), 5432, 20)) {
            return who + " listening, served a connection";
        } catch (SQLException e) {
            if ("57P03".equals(e.getSQLState())) {
                return who + " listening, answered 57P03 (" + e.getMessage() + ")";
            }
            return who + " NOT listening: " + e.getSQLState() + " " + e.getMessage();
        }
    }

    private void killAndRestart(ClusterUnderTest cluster, int node, Fault fault) throws Exception {
        log("nemesis: " + fault.label + " " + ClusterUnderTest.name(node));
        cluster.killNode(node);
        sleep(5000);
        cluster.startNode(node);
        log("nemesis: " + ClusterUnderTest.name(node) + " restarted");
    }

    private int other(ClusterUnderTest cluster, int leader) {
        int pick = random.nextInt(cluster.size - 1) + 1;
        return pick >= leader ? pick + 1 : pick;
    }

    private void healAll(ClusterUnderTest cluster) {
        for (int i = 1; i <= cluster.size; i++) {
            cluster.topology.heal(i);
            cluster.resume(i);
        }
    }

    private boolean awaitHealthy(ClusterUnderTest cluster, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (cluster.problem().isEmpty()) {
                return true;
            }
            sleep(500);
        }
        return false;
    }

    private void createSchema(ClusterUnderTest cluster) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (true) {
            try (Connection c = DriverManager.getConnection(cluster.proxiesUrl(), ClusterUnderTest.properties(30))) {
                Workload.createSchema(c);
                return;
            } catch (SQLException e) {
                if (System.nanoTime() > deadline) {
                    throw e;
                }
                sleep(500);
            }
        }
    }

    private static List<Checker.Row> readAppends(String host, int port) throws SQLException {
        List<Checker.Row> rows = new ArrayList<>();
        try (Connection c = ClusterUnderTest.connect(host, port, 120);
                Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT n, client, seq FROM appends")) {
            while (rs.next()) {
                rows.add(new Checker.Row(rs.getLong(1), rs.getInt(2), rs.getLong(3)));
            }
        }
        return rows;
    }

    private Op finalRead(String host) throws SQLException {
        long invoke = now();
        try (Connection c = ClusterUnderTest.connect(host, 5433, 30);
                Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT value, inet_server_addr()::text, " + Workload.TIMELINE
                        + " FROM register WHERE id = 1")) {
            rs.next();
            return Op.ok(0, Op.Kind.READ, rs.getLong(1), 0, false, invoke, now(), rs.getString(2), rs.getInt(3));
        }
    }

    /** Every standby holds as many appends as the leader within 30 s (replay caught up). */
    private static String standbysCaughtUp(ClusterUnderTest cluster, int leader, int rows) {
        StringBuilder behind = new StringBuilder();
        for (int i = 1; i <= cluster.size; i++) {
            if (i == leader) {
                continue;
            }
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            int count = -1;
            while (System.nanoTime() < deadline) {
                try {
                    count = readAppends(Topology.address(i), 5433).size();
                } catch (SQLException e) {
                    count = -1;
                }
                if (count == rows) {
                    break;
                }
                sleep(500);
            }
            if (count != rows) {
                behind.append("; ")
                        .append(ClusterUnderTest.name(i))
                        .append(" is behind: ")
                        .append(count)
                        .append(" of ")
                        .append(rows)
                        .append(" appends");
            }
        }
        return behind.length() == 0 ? " and holding all " + rows + " appends" : behind.toString();
    }

    private Report judge(List<Op> history, List<Checker.Row> rows, long from, long to, String health, boolean healthy) {
        Checker.Appends appends = Checker.appends(history, rows);
        Checker.Register register = Checker.register(history);
        List<Checker.Term> terms = Checker.terms(history);
        List<String> twoLeaders = Checker.twoLeaders(terms);
        long[] gap = Checker.longestGap(history, from, to);
        String during = "from " + Checker.seconds(gap[0]);
        for (int i = 0; i < faultWindows.size(); i++) {
            long[] w = faultWindows.get(i);
            if (gap[0] >= w[0] && gap[0] <= w[1]) {
                during += ", during " + faultNames.get(i);
            }
        }
        Map<String, Report.OpStats> ops = new LinkedHashMap<>();
        for (Op.Kind k : Op.Kind.values()) {
            long ok = history.stream()
                    .filter(o -> o.kind() == k && o.outcome() == Op.Outcome.OK)
                    .count();
            long failed = history.stream()
                    .filter(o -> o.kind() == k && o.outcome() == Op.Outcome.FAILED)
                    .count();
            long unknown = history.stream()
                    .filter(o -> o.kind() == k && o.outcome() == Op.Outcome.UNKNOWN)
                    .count();
            ops.put(k.name().toLowerCase(Locale.ROOT), new Report.OpStats(ok, failed, unknown));
        }
        Map<String, Long> unavailable = new LinkedHashMap<>();
        for (int i = 0; i < faultWindows.size(); i++) {
            long[] w = faultWindows.get(i);
            unavailable.merge(faultKinds.get(i), Checker.longestGap(history, w[0], w[1])[1], Math::max);
        }
        Map<String, Report.FaultStats> faults = new LinkedHashMap<>();
        injected.forEach((k, v) -> faults.put(
                k,
                new Report.FaultStats(
                        v[0],
                        v[1],
                        Math.round(maxRecovery.get(k) * 10) / 10.0,
                        Math.round(unavailable.getOrDefault(k, 0L) / 1e8) / 10.0)));
        List<String> unprovoked = Checker.leaderChangesWithoutAFault(terms, faultWindows);
        return new Report(
                plan.async(),
                Checker.lossWindow(history, rows, faultWindows),
                Checker.largestWalLoss(history, rows, faultWindows),
                plan.maxLag(),
                plan.seed(),
                plan.faults(),
                Math.round(now() / 1e8) / 10.0,
                faults,
                ops,
                appends.acknowledged(),
                Checker.firstFew(appends.lost()),
                appends.lost().size(),
                appends.duplicated(),
                appends.outOfOrder(),
                appends.failedButPresent(),
                register.chainLength(),
                register.violations(),
                terms.size(),
                Checker.firstFew(twoLeaders),
                twoLeaders.size(),
                unprovoked,
                Math.round(gap[1] / 1e8) / 10.0,
                during,
                outageProblems,
                health,
                healthy,
                events);
    }

    private static List<String> names(ClusterUnderTest cluster) {
        List<String> names = new ArrayList<>();
        for (int i = 1; i <= cluster.size; i++) {
            names.add(ClusterUnderTest.name(i) + " " + Topology.address(i));
        }
        return names;
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
