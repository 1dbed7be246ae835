package dev.pgha.chaos;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * Three pgha nodes, each in its own network namespace, with an external three-peer ZooKeeper ensemble whose peers
 * run one per node namespace (so isolating a node cuts its peer off too). Every node is started exactly as an
 * operator would start it ({@code pgha start} with its environment), on the default ports, in synchronous mode.
 * Processes are addressed by pid only.
 */
final class ClusterUnderTest implements AutoCloseable {
    static final String PASSWORD = "chaos-operator-password";
    static final String STORE_SECRET = "chaos-store-secret";
    private static final HttpClient HTTP =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    final Topology topology;
    final int size;
    private final Path work;
    private final Path jar;
    private final Process[] daemons;
    private final Process[] peers;
    private final int[] runs;
    private final boolean async;
    private final int synchronousStandbys;
    private final long maxLag;
    /** Set when the run may skew a clock: every daemon runs under libfaketime then. */
    final NodeClocks clocks;
    /** Set when the run may fill a disk: every data directory is a volume of its own then. */
    final NodeVolumes volumes;

    /** {@code kinds}: the faults the run may inject (some need the nodes set up for them). */
    ClusterUnderTest(
            Topology topology,
            Path work,
            Path jar,
            boolean async,
            long maxLag,
            int synchronousStandbys,
            List<Fault> kinds)
            throws IOException {
        this.async = async;
        this.synchronousStandbys = synchronousStandbys;
        this.maxLag = maxLag;
        this.topology = topology;
        this.size = topology.nodes;
        this.work = work;
        this.jar = jar;
        this.daemons = new Process[size + 1];
        this.peers = new Process[size + 1];
        this.runs = new int[size + 1];
        Files.createDirectories(work.resolve("logs"));
        for (int i = 1; i <= size; i++) {
            Path zk = work.resolve("zk-" + i);
            Files.createDirectories(zk.resolve("data"));
            Files.writeString(zk.resolve("data/myid"), Integer.toString(i));
            StringBuilder cfg = new StringBuilder()
                    // A 250 ms tick lets ZooKeeper grant pgha's 2 s sessions and expire them on time.
                    .append("tickTime=250\ninitLimit=40\nsyncLimit=8\n")
                    .append("dataDir=")
                    .append(zk.resolve("data"))
                    .append('\n')
                    .append("clientPort=2181\nadmin.enableServer=false\n")
                    // Authenticated as an operator would set up an external ensemble for pgha (README, "Security"):
                    // clients must log in with SASL, peers too.
                    .append("authProvider.sasl=org.apache.zookeeper.server.auth.SASLAuthenticationProvider\n")
                    .append("sessionRequireClientSASLAuth=true\n")
                    .append("quorum.auth.enableSasl=true\nquorum.auth.learnerRequireSasl=true\n")
                    .append("quorum.auth.serverRequireSasl=true\n");
            for (int j = 1; j <= size; j++) {
                cfg.append("server.")
                        .append(j)
                        .append('=')
                        .append(Topology.address(j))
                        .append(":2888:3888\n");
            }
            Files.writeString(zk.resolve("zoo.cfg"), cfg);
            Files.writeString(zk.resolve("jaas.conf"), jaas());
            Path data = work.resolve("n" + i);
            Files.createDirectories(data);
            Files.setPosixFilePermissions(data, PosixFilePermissions.fromString("rwx--x--x"));
        }
        clocks = kinds.contains(Fault.CLOCK_SKEW) ? NodeClocks.in(work, size) : null;
        volumes = kinds.contains(Fault.STANDBY_DISK_FULL) ? NodeVolumes.mount(work, size) : null;
    }

    /** The ensemble's JAAS file: the cluster's identity (user pgha-pgha) for clients, one secret for the peers. */
    private static String jaas() {
        String module = "org.apache.zookeeper.server.auth.DigestLoginModule required";
        return "Server {\n  " + module + "\n  user_pgha-pgha=\"" + STORE_SECRET + "\";\n};\n"
                + "QuorumServer {\n  " + module + "\n  user_peer=\"" + STORE_SECRET + "\";\n};\n"
                + "QuorumLearner {\n  " + module + "\n  username=\"peer\"\n  password=\"" + STORE_SECRET
                + "\";\n};\n";
    }

    static String name(int i) {
        return "n" + i;
    }

    String connectString() {
        List<String> hosts = new ArrayList<>();
        for (int i = 1; i <= size; i++) {
            hosts.add(Topology.address(i) + ":2181");
        }
        return String.join(",", hosts);
    }

    /** The JDBC URL an application would use: every node's proxy, tried in random order. */
    String proxiesUrl() {
        List<String> hosts = new ArrayList<>();
        for (int i = 1; i <= size; i++) {
            hosts.add(Topology.address(i) + ":5432");
        }
        return "jdbc:postgresql://" + String.join(",", hosts) + "/postgres";
    }

    void startPeer(int i) throws IOException {
        Path log = work.resolve("logs/zk-" + i + ".log");
        peers[i] = new ProcessBuilder(inNamespace(
                        i,
                        List.of(
                                java(),
                                "-Xmx96m",
                                "-XX:+UseSerialGC",
                                "-XX:TieredStopAtLevel=1",
                                "-Djava.security.auth.login.config=" + work.resolve("zk-" + i + "/jaas.conf"),
                                "-cp",
                                jar.toString(),
                                "org.apache.zookeeper.server.quorum.QuorumPeerMain",
                                work.resolve("zk-" + i + "/zoo.cfg").toString())))
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                .start();
    }

    void killPeer(int i) throws InterruptedException {
        kill(peers[i]);
    }

    void startNode(int i) throws IOException {
        runs[i]++;
        Map<String, String> env = new TreeMap<>();
        env.put("PATH", System.getenv().getOrDefault("PATH", "/usr/sbin:/usr/bin:/sbin:/bin"));
        env.put("PGHA_NODE_ID", name(i));
        env.put("PGHA_DATA_DIR", work.resolve("n" + i).toString());
        env.put("PGHA_ADVERTISE_HOST", Topology.address(i));
        env.put("PGHA_ZK_CONNECT", connectString());
        env.put("PGHA_SYNCHRONOUS_MODE", async ? "off" : "on");
        env.put("PGHA_SYNCHRONOUS_STANDBYS", Integer.toString(synchronousStandbys));
        env.put("PGHA_MAXIMUM_LAG_ON_FAILOVER", Long.toString(maxLag));
        env.put("PGHA_PG_MEMORY", "256MB");
        env.put("SU_PASSWORD", "chaos-su-password");
        env.put("REPL_PASSWORD", "chaos-repl-password");
        env.put("OPERATOR_PASSWORD", PASSWORD);
        env.put("PGHA_STORE_SECRET", STORE_SECRET);
        if (clocks != null) {
            env.putAll(clocks.environment(i));
        }
        ProcessBuilder pb = new ProcessBuilder(inNamespace(
                        i,
                        List.of(
                                java(),
                                "-XX:+UseSerialGC",
                                "-XX:TieredStopAtLevel=1",
                                "-Xmx256m",
                                "-jar",
                                jar.toString(),
                                "start")))
                .redirectOutput(
                        work.resolve("logs/" + name(i) + "-" + runs[i] + ".out").toFile())
                .redirectError(
                        work.resolve("logs/" + name(i) + "-" + runs[i] + ".err").toFile());
        pb.environment().clear();
        pb.environment().putAll(env);
        daemons[i] = pb.start();
    }

    /** Death of the node: its daemon and its postmaster at once (postgres's backends follow the postmaster). */
    void killNode(int i) throws InterruptedException {
        OptionalLong postmaster = postmasterPid(i);
        Process daemon = daemons[i];
        if (daemon != null) {
            Shell.signal(daemon.pid(), "KILL");
        }
        postmaster.ifPresent(pid -> Shell.signal(pid, "KILL"));
        kill(daemon);
        if (postmaster.isPresent()) {
            ProcessHandle.of(postmaster.getAsLong())
                    .ifPresent(h -> h.onExit()
                            .completeOnTimeout(h, 10, TimeUnit.SECONDS)
                            .join());
        }
    }

    void pause(int i) {
        Shell.signal(daemons[i].pid(), "STOP");
    }

    void resume(int i) {
        Shell.signal(daemons[i].pid(), "CONT");
    }

    /** The daemon and every postgres process of node {@code i} (its postmaster and all its children), by pid. */
    List<Long> nodeProcesses(int i) {
        List<Long> pids = new ArrayList<>(List.of(daemons[i].pid()));
        postmasterPid(i)
                .ifPresent(pm -> ProcessHandle.of(pm).ifPresent(h -> {
                    pids.add(pm);
                    h.descendants().forEach(d -> pids.add(d.pid()));
                }));
        return pids;
    }

    /** What /flycheck/role says (leader, replica, readonly, offline), or "down" when the node does not answer. */
    String role(int i) {
        try {
            HttpRequest r = HttpRequest.newBuilder(URI.create("http://" + Topology.address(i) + ":5500/flycheck/role"))
                    .timeout(Duration.ofSeconds(3))
                    .GET()
                    .build();
            return HTTP.send(r, HttpResponse.BodyHandlers.ofString()).body().strip();
        } catch (IOException e) {
            return "down";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "down";
        }
    }

    /** The node whose /flycheck/role says leader, if exactly one does. */
    Optional<Integer> leader() {
        List<Integer> leaders = new ArrayList<>();
        for (int i = 1; i <= size; i++) {
            if (role(i).equals("leader")) {
                leaders.add(i);
            }
        }
        return leaders.size() == 1 ? Optional.of(leaders.get(0)) : Optional.empty();
    }

    /**
     * Healthy: one leader, every other member a replica streaming from it, at least one of them synchronous (unless
     * the run is asynchronous). Empty when healthy, else what is wrong.
     */
    Optional<String> problem() {
        StringBuilder roles = new StringBuilder();
        int leader = 0;
        for (int i = 1; i <= size; i++) {
            String role = role(i);
            roles.append(name(i)).append('=').append(role).append(' ');
            if (role.equals("leader")) {
                if (leader != 0) {
                    return Optional.of("two leaders: " + roles.toString().strip());
                }
                leader = i;
            } else if (!role.equals("replica")) {
                return Optional.of(
                        "not every member serves: " + roles.toString().strip());
            }
        }
        if (leader == 0) {
            return Optional.of("no leader: " + roles.toString().strip());
        }
        try (Connection c = connect(Topology.address(leader), 5433, 5);
                Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT count(*) FILTER (WHERE state = 'streaming'),"
                        + " count(*) FILTER (WHERE state = 'streaming' AND sync_state IN ('sync', 'quorum'))"
                        + " FROM pg_stat_replication")) {
            rs.next();
            if (rs.getInt(1) != size - 1 || !async && rs.getInt(2) < 1) {
                return Optional.of("leader " + name(leader) + " has " + rs.getInt(1) + " streaming standbys ("
                        + rs.getInt(2) + " synchronous)");
            }
        } catch (SQLException e) {
            return Optional.of("cannot ask leader " + name(leader) + ": " + e.getMessage());
        }
        return Optional.empty();
    }

    static Connection connect(String host, int port, int socketTimeoutSeconds) throws SQLException {
        return DriverManager.getConnection(
                "jdbc:postgresql://" + host + ":" + port + "/postgres", properties(socketTimeoutSeconds));
    }

    static Properties properties(int socketTimeoutSeconds) {
        Properties p = new Properties();
        p.setProperty("user", "postgres");
        p.setProperty("password", PASSWORD);
        p.setProperty("sslmode", "require"); // superusers need TLS off loopback (pg_hba)
        p.setProperty("connectTimeout", "2");
        p.setProperty("loginTimeout", "10");
        p.setProperty("socketTimeout", Integer.toString(socketTimeoutSeconds));
        return p;
    }

    private OptionalLong postmasterPid(int i) {
        try {
            List<String> lines = Files.readAllLines(work.resolve("n" + i + "/postgres/postmaster.pid"));
            return lines.isEmpty()
                    ? OptionalLong.empty()
                    : OptionalLong.of(Long.parseLong(lines.get(0).strip()));
        } catch (IOException | NumberFormatException e) {
            return OptionalLong.empty();
        }
    }

    private List<String> inNamespace(int i, List<String> cmd) {
        List<String> all = new ArrayList<>(List.of("ip", "netns", "exec", topology.node(i)));
        all.addAll(cmd);
        return all;
    }

    private static void kill(Process p) throws InterruptedException {
        if (p != null && p.isAlive()) {
            Shell.signal(p.pid(), "KILL");
            p.waitFor(10, TimeUnit.SECONDS);
        }
    }

    private static String java() {
        return ProcessHandle.current().info().command().orElse("java");
    }

    /** Stops every daemon (and the postgres it leaves), then every peer. */
    @Override
    public void close() throws InterruptedException {
        for (int i = 1; i <= size; i++) {
            if (daemons[i] != null) {
                Shell.signal(daemons[i].pid(), "CONT");
                killNode(i);
            }
        }
        for (int i = 1; i <= size; i++) {
            killPeer(i);
        }
        if (volumes != null) {
            volumes.close();
        }
    }
}
