import dev.pgha.common.model.ClusterView;
import dev.pgha.common.store.ClusterStore;
import dev.pgha.common.secret.Secret;
import dev.pgha.store.ZooKeeperAuth;
import dev.pgha.store.ZooKeeperStore;
import dev.pgha.common.store.Versioned;
import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * bench/failover.sh: kill -9 of the leader node (daemon and postmaster) on a 3-node cluster with default settings,
 * CYCLES times, while one client writes through a surviving node's proxy. Prints, per cycle and as median / p95:
 * (a) kill -> first acknowledged write on the new leader, (b) the client-visible write gap (last acknowledged write
 * before the kill -> first one after). Measures only; asserts nothing.
 */
public class FailoverBench {
    static final String PASSWORD = "bench-operator-password";
    static final String STORE_SECRET = "bench-store-secret";

    record Node(String id, Map<String, String> env, Path dir) {
        int port(String var) {
            return Integer.parseInt(env.get(var));
        }
    }

    static final List<Node> nodes = new ArrayList<>();
    static final Map<String, Process> processes = new HashMap<>();
    static boolean hanging;

    public static void main(String[] args) throws Exception {
        // args[0], the jar, is on this program's class path; the nodes and commands run through ./pgha
        int cycles = Integer.parseInt(args[1]);
        Path base = Path.of(args[2]);
        boolean switchover = args.length > 3 && args[3].equals("switchover");
        List<String> entries = new ArrayList<>();
        List<String> clients = new ArrayList<>();
        for (int i = 1; i <= 3; i++) {
            int client = freePort();
            entries.add(i + "=127.0.0.1:" + freePort() + ":" + freePort() + ";127.0.0.1:" + client);
            clients.add("127.0.0.1:" + client);
        }
        // CALLBACK=hang: every callback of every node hangs (a sleep as long as the run), to show failovers do not wait
        Path hang = null;
        hanging = "hang".equals(System.getenv("CALLBACK"));
        if (hanging) {
            hang = base.resolve("hang.sh");
            // it lasts as long as the daemon that ran it: a node killed with SIGKILL leaves no orphan behind
            Files.writeString(hang, "#!/bin/sh\nwhile [ -d /proc/$PPID ]; do sleep 1; done\n");
            Files.setPosixFilePermissions(hang, PosixFilePermissions.fromString("rwxr-xr-x"));
        }
        for (int i = 1; i <= 3; i++) {
            Map<String, String> env = new HashMap<>();
            if (hang != null) {
                for (String event : List.of("START", "STOP", "ROLE_CHANGE")) {
                    env.put("PGHA_CALLBACK_ON_" + event, hang.toString());
                }
                env.put("PGHA_CALLBACK_TIMEOUT", "1h");
            }
            env.put("PATH", System.getenv("PATH"));
            String javaOpts = System.getenv("PGHA_JAVA_OPTS"); // flags to compare (the launcher adds them)
            if (javaOpts != null) {
                env.put("PGHA_JAVA_OPTS", javaOpts);
            }
            env.put("PGHA_NODE_ID", "node-" + i);
            env.put("PGHA_DATA_DIR", base.resolve("node-" + i).toString());
            env.put("PGHA_ZK_ENSEMBLE", String.join(",", entries));
            env.put("PGHA_ZK_MYID", Integer.toString(i));
            for (String v : List.of("PG_PORT", "PG_PROXY_PORT", "PGHA_HTTP_PORT", "PGHA_METRICS_PORT")) {
                env.put(v, Integer.toString(freePort()));
            }
            env.put("PGHA_PG_MEMORY", Objects.requireNonNullElse(System.getenv("PG_MEMORY"), "256MB"));
            env.put("SU_PASSWORD", "bench-su-password");
            env.put("REPL_PASSWORD", "bench-repl-password");
            env.put("OPERATOR_PASSWORD", PASSWORD);
            env.put("PGHA_STORE_SECRET", STORE_SECRET);
            nodes.add(new Node("node-" + i, env, base.resolve("node-" + i)));
        }
        Runtime.getRuntime().addShutdownHook(new Thread(FailoverBench::stopAll));
        nodes.forEach(FailoverBench::start);
        ClusterStore store = ZooKeeperStore.connect(String.join(",", clients), "pgha",
                new ZooKeeperAuth("pgha", Secret.of(STORE_SECRET)), Duration.ofSeconds(5),
                Duration.ofSeconds(60), "the bench cluster");
        List<Double> toFirstWrite = new ArrayList<>();
        List<Double> gaps = new ArrayList<>();
        List<Phases> phases = new ArrayList<>();
        if (switchover) {
            switchovers(store, cycles);
            store.close();
            return;
        }
        if (args.length > 3 && args[3].equals("zk-restart")) {
            zkRestarts(store, cycles, clients);
            store.close();
            return;
        }
        if (args.length > 3 && args[3].equals("soak")) {
            soak(store, cycles, base);
            store.close();
            return;
        }
        System.out.printf("failover bench: %d cycles of kill -9 of the leader node, 3 nodes, default settings%s, %d cores%n",
                cycles, hanging ? ", every callback hanging" : "", Runtime.getRuntime().availableProcessors());
        String zkLeader = System.getenv("ZK_LEADER");
        if (zkLeader != null && !zkLeader.isBlank()) {
            moveEnsembleLeader(store, clients, node(zkLeader.strip()));
        }
        boolean archived = false;
        int dirtyMb = Integer.parseInt(Objects.requireNonNullElse(System.getenv("DIRTY_MB"), "0"));
        Dirtier dirtier = null;
        int dirtySeconds = Integer.parseInt(Objects.requireNonNullElse(System.getenv("DIRTY_SECONDS"), "20"));
        List<Double> holdCheckpoints = new ArrayList<>(); // the old leader's CHECKPOINT before the hold
        List<Double> shutdownCheckpoints = new ArrayList<>(); // its shutdown checkpoint, in the hold
        int ensembleLeaderKilled = 0; // cycles whose killed node's ZooKeeper server led the ensemble
        for (int c = 1; c <= cycles; c++) {
            String leaderId = awaitHealthy(store, Duration.ofSeconds(180));
            Node leader = node(leaderId);
            Node via = nodes.stream().filter(n -> n != leader).findFirst().orElseThrow();
            if (!archived) { // the first command that talks to the cluster writes the launcher's class-data archive
                command(via, "status");
                archived = true;
            }
            if (dirtyMb > 0 && dirtier == null) {
                // no checkpoint between switchovers (wal or time): dirty buffers pile up as over a longer busy run
                command(via, "config", "set", "max_wal_size=8GB", "checkpoint_timeout=1h");
                dirtier = Dirtier.startedVia(via, dirtyMb);
            }
            Writer w = Writer.startedVia(via);
            boolean ledEnsemble = zooKeeperMode(clients.get(nodes.indexOf(leader))).equals("leader");
            if (ledEnsemble) {
                ensembleLeaderKilled++;
            }
            long killWall = System.currentTimeMillis();
            long kill = System.nanoTime();
            killNode(leader);
            long first = w.awaitAckAfter(kill, leader.port("PG_PORT"));
            w.stop();
            double a = (first - kill) / 1e9;
            double gap = (first - w.lastAckBefore(kill)) / 1e9;
            toFirstWrite.add(a);
            gaps.add(gap);
            System.out.printf("  cycle %2d: killed %s%s, new leader %s: first write after %.2f s, write gap %.2f s%n",
                    c, leaderId, ledEnsemble ? " (its ZooKeeper server led the ensemble)" : "",
                    store.view().map(Versioned::value).map(ClusterView::leader).orElse("?"), a, gap);
            Phases p = Phases.fromLogs(FAILOVER, killWall, Math.round((first - kill) / 1e6), leader, via, true);
            phases.add(p);
            System.out.println("            " + p);
            start(leader); // rejoins as a standby before the next cycle
        }
        System.out.printf("kill -> first acknowledged write on the new leader: median %.2f s, p95 %.2f s%n",
                pct(toFirstWrite, 50), pct(toFirstWrite, 95));
        System.out.printf("client-visible write gap:                           median %.2f s, p95 %.2f s%n",
                pct(gaps, 50), pct(gaps, 95));
        System.out.printf("cycles whose killed node's ZooKeeper server led the ensemble (its failover adds a"
                + " ZooKeeper election and a whole session timeout): %d of %d%n", ensembleLeaderKilled, cycles);
        Phases.printTable("failover phases, after the kill", phases);
        store.close();
    }

    /**
     * bench/switchover.sh: `pgha switchover` (run as an operator would, from a standby's node) while a client writes
     * through that node's proxy. The write gap is the longest pause between two acknowledged writes from the command's
     * start until the first write the new leader acknowledged.
     */
    static void switchovers(ClusterStore store, int cycles) throws Exception {
        System.out.printf("switchover bench: %d planned switchovers (pgha switchover), 3 nodes, default settings, %d cores%n",
                cycles, Runtime.getRuntime().availableProcessors());
        List<Double> gaps = new ArrayList<>();
        List<Double> commands = new ArrayList<>();
        List<Phases> phases = new ArrayList<>();
        boolean archived = false;
        int dirtyMb = Integer.parseInt(Objects.requireNonNullElse(System.getenv("DIRTY_MB"), "0"));
        Dirtier dirtier = null;
        int dirtySeconds = Integer.parseInt(Objects.requireNonNullElse(System.getenv("DIRTY_SECONDS"), "20"));
        List<Double> holdCheckpoints = new ArrayList<>(); // the old leader's CHECKPOINT before the hold
        List<Double> shutdownCheckpoints = new ArrayList<>(); // its shutdown checkpoint, in the hold
        for (int c = 1; c <= cycles; c++) {
            String leaderId = awaitHealthy(store, Duration.ofSeconds(180));
            Node leader = node(leaderId);
            Node via = nodes.stream().filter(n -> n != leader).findFirst().orElseThrow();
            if (!archived) { // the first command that talks to the cluster writes the launcher's class-data archive
                command(via, "status");
                archived = true;
            }
            if (dirtyMb > 0 && dirtier == null) {
                // no checkpoint between switchovers (wal or time): dirty buffers pile up as over a longer busy run
                command(via, "config", "set", "max_wal_size=8GB", "checkpoint_timeout=1h");
                dirtier = Dirtier.startedVia(via, dirtyMb);
            }
            if (dirtier != null) {
                Thread.sleep(dirtySeconds * 1000L); // the new leader's buffers fill with dirty pages
            }
            Writer w = Writer.startedVia(via);
            long startWall = System.currentTimeMillis();
            long start = System.nanoTime();
            ProcessBuilder pb = new ProcessBuilder(launcher(), "switchover").redirectErrorStream(true);
            environment(pb, via);
            Process p = pb.start();
            String output = new String(p.getInputStream().readAllBytes()).strip();
            if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IllegalStateException("pgha switchover failed: " + output);
            }
            double command = (System.nanoTime() - start) / 1e9;
            long first = w.awaitAckAfter(start, leader.port("PG_PORT"));
            w.stop();
            double gap = w.longestPause(start, first) / 1e9;
            gaps.add(gap);
            commands.add(command);
            System.out.printf("  cycle %2d: %s; write gap %.3f s, command %.2f s%n", c, output, gap, command);
            String[] checkpoints = checkpoints(leader, startWall);
            if (dirtier != null) {
                System.out.printf("            old leader's checkpoints: before the hold %s; shutdown, in the hold %s%n",
                        Objects.requireNonNullElse(checkpoints[0], "none"), Objects.requireNonNullElse(checkpoints[1], "none"));
            }
            for (int k = 0; k < 2; k++) {
                java.util.regex.Matcher took = java.util.regex.Pattern.compile("in ([0-9.]+) s")
                        .matcher(Objects.requireNonNullElse(checkpoints[k], ""));
                if (took.find()) {
                    (k == 0 ? holdCheckpoints : shutdownCheckpoints).add(Double.parseDouble(took.group(1)));
                }
            }
            Phases steps = Phases.fromLogs(SWITCHOVER, startWall, Math.round((first - start) / 1e6), leader, via, false);
            phases.add(steps);
            System.out.println("            " + steps);
        }
        if (dirtier != null) {
            dirtier.stop();
            System.out.printf("dirtying load: %d MB table, %d updates of %d rows each, %d failed%n",
                    dirtyMb, dirtier.updates.get(), Dirtier.RANGE, dirtier.errors.get());
        }
        if (!holdCheckpoints.isEmpty()) {
            System.out.printf("old leader's checkpoint before the hold:  median %.3f s, p95 %.3f s (clients not held)%n",
                    pct(holdCheckpoints, 50), pct(holdCheckpoints, 95));
        }
        if (!shutdownCheckpoints.isEmpty()) {
            System.out.printf("its shutdown checkpoint, in the hold:     median %.3f s, p95 %.3f s%n",
                    pct(shutdownCheckpoints, 50), pct(shutdownCheckpoints, 95));
        }
        System.out.printf("client-visible write gap:                median %.3f s, p95 %.3f s%n", pct(gaps, 50), pct(gaps, 95));
        System.out.printf("pgha switchover command (JVM start incl.): median %.2f s, p95 %.2f s%n",
                pct(commands, 50), pct(commands, 95));
        Phases.printTable("switchover phases, after the command's start", phases);
    }

    /**
     * bench/zk-restart.sh: the step of a rolling restart that costs the most: SIGTERM of the node whose embedded
     * ZooKeeper server leads the ensemble (the others elect a new leader and every client reconnects), then its start,
     * while a client writes through another node's proxy. Counts, per cycle, the surviving nodes' lost store sessions
     * (their proxies log each), their sentinel elections and the leader changes beyond the stopped node's own
     * handover. Measures only.
     */
    static void zkRestarts(ClusterStore store, int cycles, List<String> clients) throws Exception {
        System.out.printf("ZooKeeper-leader restart bench: %d cycles of SIGTERM + start of the node whose ZooKeeper"
                + " server leads, 3 nodes, default settings, %d cores%n", cycles, Runtime.getRuntime().availableProcessors());
        int lostTotal = 0;
        int extraChanges = 0;
        List<Double> gaps = new ArrayList<>();
        for (int c = 1; c <= cycles; c++) {
            String leaderId = awaitHealthy(store, Duration.ofSeconds(180));
            int zkLeader = ensembleLeader(clients);
            if (zkLeader < 0) {
                throw new IllegalStateException("no embedded ZooKeeper server says it leads");
            }
            Node stopped = nodes.get(zkLeader);
            Node via = nodes.stream().filter(n -> n != stopped && !n.id.equals(leaderId)).findFirst()
                    .orElseGet(() -> nodes.stream().filter(n -> n != stopped).findFirst().orElseThrow());
            Map<String, Long> logSizes = new HashMap<>();
            for (Node n : nodes) {
                logSizes.put(n.id, Files.size(Path.of(n.dir + ".log")));
            }
            int historyBefore = store.history().size();
            Writer w = Writer.startedVia(via);
            long start = System.nanoTime();
            restart(stopped);
            awaitHealthy(store, Duration.ofSeconds(180));
            Thread.sleep(3000); // sessions that were to expire have by now
            long end = System.nanoTime();
            w.stop();
            double gap = w.longestPause(start, end) / 1e9;
            gaps.add(gap);
            int lost = 0;
            int elections = 0;
            for (Node n : nodes) {
                if (n == stopped) {
                    continue;
                }
                byte[] log = Files.readAllBytes(Path.of(n.dir + ".log"));
                int from = (int) Math.min(log.length, logSizes.get(n.id));
                String added = new String(log, from, log.length - from);
                lost += count(added, "store session lost");
                elections += count(added, "elected: this member's sentinel now decides");
            }
            int changes = store.history().size() - historyBefore;
            int planned = stopped.id.equals(leaderId) ? 1 : 0; // a stopping leader hands over first
            lostTotal += lost;
            extraChanges += Math.max(0, changes - planned);
            System.out.printf("  cycle %2d: stopped %s (ZooKeeper leader, %s): sessions lost on the others %d,"
                    + " sentinel elections %d, leader changes %d (planned %d), longest write gap %.2f s%n",
                    c, stopped.id, stopped.id.equals(leaderId) ? "postgres leader" : "standby", lost, elections,
                    changes, planned, gap);
        }
        System.out.printf("sessions lost on surviving nodes: %d in %d restarts; unplanned leader changes: %d;"
                + " write gap median %.2f s, max %.2f s%n", lostTotal, cycles, extraChanges, pct(gaps, 50),
                pct(gaps, 100));
    }

    /**
     * ZK_LEADER=node-N: restarts (SIGTERM, start) whichever node's ZooKeeper server leads the ensemble until node-N's
     * does, so that the cycles begin from a known placement of the ensemble's leader (by default the highest server id
     * leads a new ensemble, node-3, which the first failovers of this bench never pick).
     */
    static void moveEnsembleLeader(ClusterStore store, List<String> clients, Node wanted) throws Exception {
        for (int attempt = 1; attempt <= 6; attempt++) {
            awaitHealthy(store, Duration.ofSeconds(180));
            int leading = ensembleLeader(clients);
            if (leading < 0) {
                Thread.sleep(500);
                continue;
            }
            Node current = nodes.get(leading);
            if (current == wanted) {
                System.out.printf("  the ZooKeeper ensemble's leader is %s's server%n", wanted.id);
                awaitHealthy(store, Duration.ofSeconds(180));
                return;
            }
            restart(current);
        }
        throw new IllegalStateException("could not make " + wanted.id + "'s ZooKeeper server lead the ensemble");
    }

    /** The index (in the nodes' order) of the node whose ZooKeeper server says it leads; -1 when none does. */
    static int ensembleLeader(List<String> clients) {
        for (int i = 0; i < clients.size(); i++) {
            if (zooKeeperMode(clients.get(i)).equals("leader")) {
                return i;
            }
        }
        return -1;
    }

    /** SIGTERM (a clean stop, as a rolling restart does), then a start of the same node. */
    static void restart(Node n) throws Exception {
        Process p = processes.get(n.id);
        p.destroy();
        if (!p.waitFor(300, TimeUnit.SECONDS)) {
            throw new IllegalStateException(n.id + " did not stop within 300 s");
        }
        start(n);
    }

    /** A ZooKeeper server's mode ("leader", "follower", ...) from its srvr command; "" when it does not answer. */
    static String zooKeeperMode(String hostPort) {
        String[] hp = hostPort.split(":");
        try (java.net.Socket socket = new java.net.Socket(hp[0], Integer.parseInt(hp[1]))) {
            socket.setSoTimeout(2000);
            socket.getOutputStream().write("srvr".getBytes());
            String text = new String(socket.getInputStream().readAllBytes());
            for (String line : text.split("\n")) {
                if (line.startsWith("Mode: ")) {
                    return line.substring(6).strip();
                }
            }
        } catch (IOException | RuntimeException e) {
            // not serving
        }
        return "";
    }

    /**
     * bench/soak.sh: no fault, a writer through a standby's proxy and a bounded CPU hog saturating every core for
     * {@code seconds}; counts leader changes (history entries), view generations, write errors, the longest write gap,
     * and the nodes' lease lapses and fencings from their logs. Measures only.
     */
    static void soak(ClusterStore store, int seconds, Path base) throws Exception {
        int cores = Runtime.getRuntime().availableProcessors();
        String leaderId = awaitHealthy(store, Duration.ofSeconds(180));
        Node via = nodes.stream().filter(n -> !n.id.equals(leaderId)).findFirst().orElseThrow();
        int historyBefore = store.history().size();
        long generationBefore = store.view().map(Versioned::value).map(ClusterView::generation).orElse(0L);
        Writer w = Writer.startedVia(via);
        System.out.printf("soak: %d s, stress-ng --cpu %d on a %d-core machine, a writer through %s's proxy, no faults%n",
                seconds, cores, cores, via.id);
        Process hog = new ProcessBuilder("stress-ng", "--cpu", Integer.toString(cores), "--timeout", seconds + "s",
                "--quiet").inheritIO().start();
        long start = System.nanoTime();
        try {
            if (!hog.waitFor(seconds + 60L, TimeUnit.SECONDS)) {
                hog.destroyForcibly();
            }
        } finally {
            hog.destroyForcibly();
        }
        long end = System.nanoTime();
        w.stop();
        int changes = store.history().size() - historyBefore;
        long generations = store.view().map(Versioned::value).map(ClusterView::generation).orElse(0L) - generationBefore;
        long writes;
        synchronized (w.acks) {
            writes = w.acks.stream().filter(a -> a[0] >= start && a[0] <= end).count();
        }
        System.out.printf("leader changes: %d; view generations: %d; acknowledged writes: %d (%.0f/s); write errors: %d;"
                + " longest write gap: %.2f s%n", changes, generations, writes, writes / ((end - start) / 1e9),
                w.errors.get(), w.longestPause(start, end) / 1e9);
        for (Node n : nodes) {
            String log = Files.readString(Path.of(n.dir + ".log"));
            System.out.printf("  %s: store lease lapses %d, fencings %d, failsafe rounds begun %d%n", n.id,
                    count(log, "no word from the cluster store for a session timeout"),
                    count(log, "fencing: stopping the local primary"),
                    count(log, "promised not to promote, so this leader keeps serving"));
        }
    }

    /** A step of a failover or switchover, found in the nodes' logs: the first matching line after {@code after}. */
    record Marker(String name, String component, String text, Who who, int after) {
        enum Who { ANY, VIA, OLD_LEADER }

        /** A line of {@code component} that starts with, or (text in brackets) contains, {@code text}. */
        boolean matches(String c, String line) {
            return c.equals(component)
                    && (text.startsWith("[") ? line.contains(text.substring(1, text.length() - 1)) : line.startsWith(text));
        }
    }

    static final List<Marker> FAILOVER = List.of(
            new Marker("failover begun (detection)", "sentinel", "[phase FAILOVER_FENCING]", Marker.Who.ANY, -1),
            new Marker("fenced, candidate chosen", "sentinel", "[phase FAILOVER_PROMOTING]", Marker.Who.ANY, 0),
            new Marker("promoted", "keeper", "promoted: this member leads", Marker.Who.ANY, 1),
            new Marker("NORMAL view written", "sentinel", "[phase NORMAL]", Marker.Who.ANY, 2),
            new Marker("writer's proxy routes", "proxy", "proxy: routing clients to", Marker.Who.VIA, 2));

    static final List<Marker> SWITCHOVER = List.of(
            new Marker("hold begins (SWITCHOVER view)", "sentinel", "[phase SWITCHOVER]", Marker.Who.ANY, -1),
            new Marker("old leader shuts down", "keeper", "switchover: shutting postgres down", Marker.Who.OLD_LEADER, 0),
            new Marker("old leader stopped", "keeper", "postgres stopped", Marker.Who.OLD_LEADER, 1),
            new Marker("candidate chosen (PROMOTING)", "sentinel", "[phase FAILOVER_PROMOTING]", Marker.Who.ANY, 0),
            new Marker("promoted", "keeper", "promoted: this member leads", Marker.Who.ANY, 3),
            new Marker("NORMAL view written", "sentinel", "[phase NORMAL]", Marker.Who.ANY, 4),
            new Marker("writer's proxy routes", "proxy", "proxy: routing clients to", Marker.Who.VIA, 4));

    /**
     * Where a failover's (or switchover's) time goes, in ms after the kill (or the command's start), from the nodes'
     * logs: the bench and the nodes share one clock. The last step is the writer's first write acknowledged by the new
     * leader. -1: not found in the logs.
     */
    record Phases(List<Marker> markers, long[] at, long firstWrite, boolean sentinelElected) {
        private static final java.util.regex.Pattern LINE =
                java.util.regex.Pattern.compile("^(\\d{4}-\\d\\d-\\d\\dT[0-9:.]+Z) \\w+\\s+\\[(\\w+)\\] (.*)$");

        long[] values() {
            long[] v = java.util.Arrays.copyOf(at, at.length + 1);
            v[at.length] = firstWrite;
            return v;
        }

        List<String> names() {
            List<String> n = new ArrayList<>(markers.stream().map(Marker::name).toList());
            n.add("first write acknowledged");
            return n;
        }

        static Phases fromLogs(List<Marker> markers, long startWall, long firstWriteMs, Node oldLeader, Node via,
                boolean oldLeaderDead) throws IOException {
            record Event(long t, Node node, String component, String text) {}
            List<Event> events = new ArrayList<>();
            for (Node n : nodes) {
                if (n == oldLeader && oldLeaderDead) {
                    continue;
                }
                for (String line : Files.readAllLines(Path.of(n.dir + ".log"))) {
                    java.util.regex.Matcher m = LINE.matcher(line);
                    if (m.matches()) {
                        long t = java.time.Instant.parse(m.group(1)).toEpochMilli() - startWall;
                        if (t >= 0 && t <= 60_000) {
                            events.add(new Event(t, n, m.group(2), m.group(3)));
                        }
                    }
                }
            }
            events.sort(java.util.Comparator.comparingLong(Event::t));
            long[] at = new long[markers.size()];
            java.util.Arrays.fill(at, -1);
            boolean elected = false;
            for (Event e : events) {
                if (e.component().equals("sentinel") && e.text().startsWith("elected:")) {
                    elected = true;
                }
                for (int i = 0; i < markers.size(); i++) {
                    Marker mk = markers.get(i);
                    boolean whoMatches = switch (mk.who()) {
                        case ANY -> true;
                        case VIA -> e.node() == via;
                        case OLD_LEADER -> e.node() == oldLeader;
                    };
                    if (at[i] < 0 && whoMatches && (mk.after() < 0 || at[mk.after()] >= 0)
                            && mk.matches(e.component(), e.text())) {
                        at[i] = e.t();
                    }
                }
            }
            return new Phases(markers, at, firstWriteMs, elected);
        }

        @Override
        public String toString() {
            StringBuilder b = new StringBuilder("ms:");
            long[] v = values();
            List<String> names = names();
            for (int i = 0; i < v.length; i++) {
                b.append(i == 0 ? " " : ", ").append(names.get(i)).append(' ').append(v[i]);
            }
            return b.append(sentinelElected ? " (a sentinel was elected meanwhile)" : "").toString();
        }

        /** Median and p95 of when each phase ends, and the median of its own length (from the phase before). */
        static void printTable(String title, List<Phases> all) {
            if (all.isEmpty()) {
                return;
            }
            List<String> names = all.get(0).names();
            System.out.println(title + " (ms; step = from the phase before):");
            System.out.printf("  %-32s %8s %8s %10s%n", "phase ends", "median", "p95", "step med");
            for (int i = 0; i < names.size(); i++) {
                int k = i;
                List<Double> at = all.stream().map(p -> (double) p.values()[k]).filter(x -> x >= 0).toList();
                List<Double> step = all.stream()
                        .filter(p -> p.values()[k] >= 0 && (k == 0 || p.values()[k - 1] >= 0))
                        .map(p -> (double) (p.values()[k] - (k == 0 ? 0 : p.values()[k - 1])))
                        .toList();
                System.out.printf("  %-32s %8s %8s %10s%n", names.get(i), at.isEmpty() ? "-" : "%.0f".formatted(pct(at, 50)),
                        at.isEmpty() ? "-" : "%.0f".formatted(pct(at, 95)),
                        step.isEmpty() ? "-" : "%.0f".formatted(pct(step, 50)));
            }
            System.out.printf("  cycles in which a sentinel was elected meanwhile: %d of %d%n",
                    all.stream().filter(Phases::sentinelElected).count(), all.size());
        }
    }

    static int count(String text, String what) {
        int n = 0;
        for (int i = text.indexOf(what); i >= 0; i = text.indexOf(what, i + 1)) {
            n++;
        }
        return n;
    }

    /** A leader with two synchronous standbys, so that the next kill tests a healthy cluster. */
    static String awaitHealthy(ClusterStore store, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            try {
                ClusterView v = store.view().map(Versioned::value).orElse(null);
                if (v != null && v.routable() && v.synchronousNames().size() == 2) {
                    return v.leader();
                }
            } catch (RuntimeException e) {
                // store still starting
            }
            Thread.sleep(100);
        }
        throw new IllegalStateException("cluster not healthy within " + timeout);
    }

    static final class Writer {
        final Node via;
        final List<long[]> acks = Collections.synchronizedList(new ArrayList<>()); // {nanoTime, port}
        volatile boolean running = true;
        final java.util.concurrent.atomic.AtomicLong errors = new java.util.concurrent.atomic.AtomicLong();
        final Thread thread = new Thread(this::run);

        Writer(Node via) {
            this.via = via;
        }

        /** A writer through {@code via}'s proxy, already writing for 1.5 s. */
        static Writer startedVia(Node via) throws InterruptedException {
            Writer w = new Writer(via);
            w.thread.start();
            Thread.sleep(1500);
            return w;
        }

        void run() {
            long id = System.nanoTime();
            while (running) {
                try (Connection c = connect(via.port("PG_PROXY_PORT"));
                     PreparedStatement ps = c.prepareStatement(
                             "INSERT INTO bench_appends VALUES (?) RETURNING inet_server_port()")) {
                    while (running) {
                        ps.setLong(1, id++);
                        try (ResultSet rs = ps.executeQuery()) {
                            rs.next();
                            acks.add(new long[] {System.nanoTime(), rs.getInt(1)});
                        }
                    }
                } catch (SQLException e) {
                    id++;
                    errors.incrementAndGet();
                    sleep(10);
                }
            }
        }

        long firstAckAfter(long t, int oldPort) {
            synchronized (acks) {
                return acks.stream().filter(a -> a[0] > t && a[1] != oldPort).mapToLong(a -> a[0]).min().orElse(-1);
            }
        }

        /** Waits (up to 120 s) for the first write acknowledged after {@code t} by another postgres than {@code oldPort}. */
        long awaitAckAfter(long t, int oldPort) throws InterruptedException {
            while (firstAckAfter(t, oldPort) < 0) {
                if (System.nanoTime() - t > TimeUnit.SECONDS.toNanos(120)) {
                    throw new IllegalStateException("no write acknowledged by a new leader within 120 s");
                }
                Thread.sleep(20);
            }
            return firstAckAfter(t, oldPort);
        }

        /** The longest time between two consecutive acknowledged writes from the last one before {@code from} to {@code to}. */
        long longestPause(long from, long to) {
            long before = lastAckBefore(from);
            long previous = before;
            long longest = 0;
            synchronized (acks) {
                List<Long> times = acks.stream().map(a -> a[0]).filter(x -> x > before && x <= to).sorted().toList();
                for (long x : times) {
                    longest = Math.max(longest, x - previous);
                    previous = x;
                }
            }
            return longest;
        }

        long lastAckBefore(long t) {
            synchronized (acks) {
                return acks.stream().filter(a -> a[0] <= t).mapToLong(a -> a[0]).max().orElse(t);
            }
        }

        void stop() throws InterruptedException {
            running = false;
            thread.join(30_000);
        }
    }

    /**
     * The old leader's checkpoints in this cycle, as its postgres logged them ("wrote N buffers ... total=T s"): the
     * CHECKPOINT the switchover runs before its hold (cli.CheckpointFirst) and the shutdown checkpoint inside the hold,
     * which clients wait for; null when its log has neither.
     */
    static String[] checkpoints(Node leader, long startWall) throws IOException {
        String[] found = new String[2]; // {before the hold, shutdown}
        int kind = -1;
        for (String line : Files.readAllLines(Path.of(leader.dir + ".log"))) {
            java.util.regex.Matcher m = Phases.LINE.matcher(line);
            if (!m.matches() || java.time.Instant.parse(m.group(1)).toEpochMilli() < startWall) {
                continue;
            }
            if (line.contains("checkpoint starting: immediate force wait")) {
                kind = 0;
            } else if (line.contains("checkpoint starting: shutdown")) {
                kind = 1;
            } else if (kind >= 0 && line.contains("checkpoint complete: wrote")) {
                java.util.regex.Matcher w = java.util.regex.Pattern.compile("wrote (\\d+) buffers").matcher(line);
                java.util.regex.Matcher t = java.util.regex.Pattern.compile("total=([0-9.]+) s").matcher(line);
                found[kind] = (w.find() ? w.group(1) : "?") + " buffers in " + (t.find() ? t.group(1) : "?") + " s";
                kind = -1;
            }
        }
        return found;
    }

    /**
     * DIRTY_MB: a second client that keeps updating random ranges of a table of that size through the writer's proxy
     * (reconnecting after each switchover), so that the leader's shared buffers hold dirty pages when a switchover
     * begins, as under a real write load: what its clean shutdown has to write.
     */
    static final class Dirtier {
        static final int RANGE = 2000; // rows per update: about 125 pages at fillfactor 50
        final Node via;
        final int rows;
        volatile boolean running = true;
        final java.util.concurrent.atomic.AtomicLong updates = new java.util.concurrent.atomic.AtomicLong();
        final java.util.concurrent.atomic.AtomicLong errors = new java.util.concurrent.atomic.AtomicLong();
        final Thread thread = new Thread(this::run);

        Dirtier(Node via, int mb) {
            this.via = via;
            this.rows = mb * 2048; // about 512 bytes of page per row at fillfactor 50
        }

        static Dirtier startedVia(Node via, int mb) throws SQLException {
            Dirtier d = new Dirtier(via, mb);
            try (Connection c = connect(via.port("PG_PROXY_PORT")); Statement st = c.createStatement()) {
                st.execute("CREATE TABLE IF NOT EXISTS bench_dirty (id int PRIMARY KEY, v bigint NOT NULL, pad text)"
                        + " WITH (fillfactor = 50)");
                try (PreparedStatement ps = c.prepareStatement("INSERT INTO bench_dirty SELECT g, 0, repeat('x', 200)"
                        + " FROM generate_series(1, ?) g ON CONFLICT DO NOTHING")) {
                    ps.setInt(1, d.rows);
                    ps.execute();
                }
                st.execute("VACUUM bench_dirty");
            }
            System.out.printf("dirtying load: updating %d-row ranges of a %d MB table (%d rows) without pause;"
                    + " max_wal_size 8GB, checkpoint_timeout 1h; each switchover after DIRTY_SECONDS of it%n",
                    RANGE, mb, d.rows);
            d.thread.start();
            return d;
        }

        void run() {
            Random random = new Random();
            while (running) {
                try (Connection c = connect(via.port("PG_PROXY_PORT"));
                     PreparedStatement ps = c.prepareStatement("UPDATE bench_dirty SET v = v + 1 WHERE id BETWEEN ? AND ?")) {
                    while (running) {
                        int from = 1 + random.nextInt(Math.max(1, rows - RANGE));
                        ps.setInt(1, from);
                        ps.setInt(2, from + RANGE - 1);
                        ps.executeUpdate();
                        updates.incrementAndGet();
                    }
                } catch (SQLException e) {
                    errors.incrementAndGet();
                    sleep(10);
                }
            }
        }

        void stop() throws InterruptedException {
            running = false;
            thread.join(30_000);
        }
    }

    static Connection connect(int port) throws SQLException {
        Properties p = new Properties();
        p.setProperty("user", "postgres");
        p.setProperty("password", PASSWORD);
        p.setProperty("sslmode", "disable");
        p.setProperty("connectTimeout", "2");
        p.setProperty("socketTimeout", "10");
        Connection c = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + port + "/postgres", p);
        try (Statement st = c.createStatement()) {
            st.execute("CREATE TABLE IF NOT EXISTS bench_appends (id bigint PRIMARY KEY)");
        }
        return c;
    }

    static void start(Node n) {
        try {
            Files.createDirectories(n.dir.getParent());
            // as an operator starts it: the launcher's JVM profile (ops/jvm-daemon.args) and class-data archive
            ProcessBuilder pb = new ProcessBuilder(launcher(), "start")
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(new File(n.dir + ".log")))
                    .redirectError(ProcessBuilder.Redirect.appendTo(new File(n.dir + ".err")));
            pb.environment().clear();
            pb.environment().putAll(n.env);
            processes.put(n.id, pb.start());
        } catch (IOException e) {
            throw new IllegalStateException("cannot start " + n.id, e);
        }
    }

    /** Runs {@code pgha args} on {@code via}'s node, as an operator would there; its output. */
    static String command(Node via, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(launcher()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        environment(pb, via);
        Process p = pb.start();
        String output = new String(p.getInputStream().readAllBytes()).strip();
        if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IllegalStateException("pgha " + String.join(" ", args) + " failed: " + output);
        }
        return output;
    }

    static void environment(ProcessBuilder pb, Node via) {
        pb.environment().clear();
        pb.environment().putAll(via.env());
        pb.environment().put("LANG", "C.UTF-8");
    }

    /** ./pgha, which runs the jar as operators do. */
    static String launcher() {
        return Path.of(System.getProperty("pgha.root"), "pgha").toString();
    }

    static Node node(String id) {
        return nodes.stream().filter(n -> n.id.equals(id)).findFirst().orElseThrow();
    }

    /** Node death: the daemon and its postmaster, by pid. */
    static void killNode(Node n) throws InterruptedException {
        long pm = postmasterPid(n);
        processes.get(n.id).destroyForcibly();
        if (pm > 0 && isPostgresOf(n, pm)) {
            ProcessHandle.of(pm).ifPresent(ProcessHandle::destroyForcibly);
        }
        processes.get(n.id).waitFor(10, TimeUnit.SECONDS);
    }

    static long postmasterPid(Node n) {
        try {
            return Long.parseLong(Files.readAllLines(n.dir.resolve("postgres/postmaster.pid")).get(0).strip());
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    static boolean isPostgresOf(Node n, long pid) {
        try {
            return Files.isSameFile(Files.readSymbolicLink(Path.of("/proc/" + pid + "/cwd")), n.dir.resolve("postgres"));
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    /** SIGTERM to every daemon; then any postgres still recorded in a data directory, by its pid. */
    static void stopAll() {
        processes.values().forEach(Process::destroy);
        for (Process p : processes.values()) {
            try {
                if (!p.waitFor(60, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        for (Node n : nodes) {
            long pm = postmasterPid(n);
            if (pm > 0 && isPostgresOf(n, pm)) {
                ProcessHandle.of(pm).ifPresent(h -> {
                    h.destroyForcibly();
                    h.onExit().orTimeout(10, TimeUnit.SECONDS).exceptionally(e -> h).join();
                });
            }
        }
    }

    static double pct(List<Double> xs, int p) {
        List<Double> s = xs.stream().sorted().toList();
        int i = (int) Math.ceil(p / 100.0 * s.size()) - 1;
        return s.get(Math.max(0, Math.min(s.size() - 1, i)));
    }

    static int nextPort = 20000 + new Random().nextInt(10000);

    /** Below the kernel's ephemeral range (32768+), so no outgoing connection takes it before the node binds it. */
    static int freePort() throws IOException {
        while (nextPort < 32000) {
            int port = nextPort++;
            try (ServerSocket s = new ServerSocket(port)) {
                return port;
            } catch (IOException taken) {
                // next one
            }
        }
        throw new IOException("no free port below 32000");
    }

    static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
