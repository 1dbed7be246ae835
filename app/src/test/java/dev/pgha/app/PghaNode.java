package dev.pgha.app;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One {@code pgha start} daemon run as a separate JVM from the built fat jar, as a container entrypoint would run
 * it, so that signals and kill -9 are real. {@link #close()} leaves nothing behind: it stops the daemon, and any
 * postgres this node's data directory still records (by its pid, after checking it serves that directory).
 */
final class PghaNode implements AutoCloseable {
    private static final Pattern PASSWORD = Pattern.compile("(?m)^  Password:\\s+([0-9a-f]{48})$");

    final Path baseDir;
    final Path dataDir;
    final Path logDir;
    private final boolean ownsBaseDir;
    final Map<String, String> env = new HashMap<>();
    private final List<String> args = new ArrayList<>();
    private Process process;
    private int runs;
    Path stdout;
    Path stderr;

    /** A node in a new temporary directory, removed again by {@link #close()}. */
    static PghaNode inNewDir(String prefix) throws IOException {
        return new PghaNode(TestDirs.create(prefix), "node", true);
    }

    PghaNode(Path baseDir, String name) throws IOException {
        this(baseDir, name, false);
    }

    private PghaNode(Path baseDir, String name, boolean ownsBaseDir) throws IOException {
        this.baseDir = baseDir;
        this.ownsBaseDir = ownsBaseDir;
        this.dataDir = baseDir.resolve(name);
        this.logDir = baseDir.resolve(name + "-logs");
        Files.createDirectories(logDir);
        env.put("PGHA_DATA_DIR", dataDir.toString());
        // Small and fast: a realistic small VM for postgres, and the pgha default timings.
        env.put("PGHA_PG_MEMORY", "256MB");
    }

    /** Distinct free ports for everything the daemon listens on. */
    PghaNode withFreePorts() throws IOException {
        env.put("PG_PROXY_PORT", Integer.toString(freePort()));
        env.put("PG_PORT", Integer.toString(freePort()));
        env.put("PGHA_ZK_PORT", Integer.toString(freePort()));
        env.put("PGHA_ZK_PEER_PORT", Integer.toString(freePort()));
        env.put("PGHA_ZK_ELECTION_PORT", Integer.toString(freePort()));
        env.put("PGHA_HTTP_PORT", Integer.toString(freePort()));
        env.put("PGHA_METRICS_PORT", Integer.toString(freePort()));
        return this;
    }

    PghaNode arg(String a) {
        args.add(a);
        return this;
    }

    int proxyPort() {
        return Integer.parseInt(env.getOrDefault("PG_PROXY_PORT", "5432"));
    }

    /** The member id: PGHA_NODE_ID, else the one the daemon generated and keeps in its data directory. */
    String memberId() throws IOException {
        String id = env.get("PGHA_NODE_ID");
        return id != null
                ? id
                : Files.readString(dataDir.resolve("pgha/node-id")).strip();
    }

    int httpPort() {
        return Integer.parseInt(env.getOrDefault("PGHA_HTTP_PORT", "5500"));
    }

    int metricsPort() {
        return Integer.parseInt(env.getOrDefault("PGHA_METRICS_PORT", "9187"));
    }

    int pgPort() {
        return Integer.parseInt(env.getOrDefault("PG_PORT", "5433"));
    }

    Path pgData() {
        return dataDir.resolve("postgres");
    }

    /** Starts the daemon; output goes to per-run files. */
    PghaNode start() throws IOException {
        runs++;
        stdout = logDir.resolve("stdout-" + runs + ".txt");
        stderr = logDir.resolve("stderr-" + runs + ".txt");
        List<String> cmd = new ArrayList<>(List.of(
                javaBinary(),
                "-XX:+UseSerialGC",
                "-XX:TieredStopAtLevel=1",
                "-Xmx256m",
                "-jar",
                jar().toString(),
                "start"));
        cmd.addAll(args);
        ProcessBuilder pb =
                new ProcessBuilder(cmd).redirectOutput(stdout.toFile()).redirectError(stderr.toFile());
        pb.environment().clear();
        pb.environment().put("PATH", System.getenv().getOrDefault("PATH", "/usr/bin:/bin"));
        pb.environment().putAll(env);
        process = pb.start();
        return this;
    }

    /** Waits until the daemon logs that clients are routed to a serving leader. */
    PghaNode awaitReady(Duration timeout) {
        await().atMost(timeout).pollInterval(Duration.ofMillis(50)).until(() -> {
            if (!process.isAlive()) {
                throw new AssertionError("pgha exited with " + process.exitValue() + " before it was ready:\n" + log());
            }
            return log().contains("INFO  [pgha] ready: clients connect to port");
        });
        return this;
    }

    /** Runs the daemon to completion (for start-up failures) and returns its exit code. */
    int runToExit(Duration timeout) throws IOException, InterruptedException {
        start();
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new AssertionError("pgha did not exit within " + timeout + ":\n" + log());
        }
        return process.exitValue();
    }

    /** SIGTERM, then wait for the exit code. */
    int stop(Duration timeout) throws InterruptedException {
        process.destroy();
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new AssertionError("pgha did not stop within " + timeout + " after SIGTERM:\n" + log());
        }
        return process.exitValue();
    }

    /** A crash of the daemon alone: its postgres, in its own session, lives on. */
    void kill9() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
    }

    /** Death of the whole node: the daemon and its postmaster are killed at once (the backends follow it). */
    void killNode() throws InterruptedException {
        OptionalLong postmaster = postmasterPid();
        process.destroyForcibly();
        if (postmaster.isPresent() && servesThisNode(Path.of("/proc", Long.toString(postmaster.getAsLong()), "cwd"))) {
            ProcessHandle.of(postmaster.getAsLong()).ifPresent(ProcessHandle::destroyForcibly);
        }
        process.waitFor(10, TimeUnit.SECONDS);
    }

    /** SIGSTOP / SIGCONT of the daemon (its postgres keeps running, as when only the JVM hangs). */
    void pause() throws InterruptedException {
        signal(process.pid(), "STOP");
    }

    void resume() throws InterruptedException {
        signal(process.pid(), "CONT");
    }

    boolean alive() {
        return process != null && process.isAlive();
    }

    int exitCode() {
        return process.exitValue();
    }

    long pid() {
        return process.pid();
    }

    /** The log stream (stdout). */
    String out() {
        return read(stdout);
    }

    /** Everything the daemon printed: its log (stdout) and any error it exited with (stderr). */
    String log() {
        return read(stdout) + read(stderr);
    }

    List<String> logLines() {
        return log().lines().toList();
    }

    /** The console (stderr): the one-time credentials banner and any error the daemon exited with. */
    String banner() {
        return read(stderr);
    }

    Optional<String> printedPassword() {
        Matcher m = PASSWORD.matcher(banner());
        return m.find() ? Optional.of(m.group(1)) : Optional.empty();
    }

    /** The postmaster pid recorded in PGDATA, if postgres runs. */
    OptionalLong postmasterPid() {
        try {
            List<String> lines = Files.readAllLines(pgData().resolve("postmaster.pid"));
            return lines.isEmpty()
                    ? OptionalLong.empty()
                    : OptionalLong.of(Long.parseLong(lines.get(0).strip()));
        } catch (IOException | NumberFormatException e) {
            return OptionalLong.empty();
        }
    }

    /**
     * Every live process that has this node's PGDATA as its working directory (a postgres of this node, or a command
     * it runs), as "pid command line", so that a failed assertion names what was left running.
     */
    List<String> postgresProcesses() throws IOException {
        try (var procs = Files.list(Path.of("/proc"))) {
            return procs.filter(p -> p.getFileName().toString().matches("\\d+"))
                    .filter(p -> servesThisNode(p.resolve("cwd")))
                    .map(p -> p.getFileName() + " " + commandLine(p))
                    .toList();
        }
    }

    private static String commandLine(Path proc) {
        try {
            return new String(Files.readAllBytes(proc.resolve("cmdline")), StandardCharsets.UTF_8)
                    .replace('\0', ' ')
                    .strip();
        } catch (IOException e) {
            return "(exited)";
        }
    }

    private boolean servesThisNode(Path cwdLink) {
        try {
            return Files.isSameFile(Files.readSymbolicLink(cwdLink), pgData());
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    Connection connect(int port, String user, String password) throws SQLException {
        Properties p = new Properties();
        p.setProperty("user", user);
        p.setProperty("password", password);
        p.setProperty("sslmode", "disable");
        p.setProperty("connectTimeout", "5");
        p.setProperty("socketTimeout", "30");
        return DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + port + "/postgres", p);
    }

    /** postgres://postgres:PASSWORD@127.0.0.1:PROXY_PORT/postgres */
    String proxyUrl(String password) {
        return "postgres://postgres:" + password + "@127.0.0.1:" + proxyPort() + "/postgres";
    }

    @Override
    public void close() throws Exception {
        try {
            if (process != null && process.isAlive()) {
                resume(); // a paused daemon cannot act on SIGTERM
                process.destroy();
                if (!process.waitFor(60, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                    process.waitFor(10, TimeUnit.SECONDS);
                }
            }
            killLeftoverPostgres();
            assertNoSecretInOutput();
        } finally {
            if (ownsBaseDir) {
                TestDirs.delete(baseDir);
            }
        }
    }

    /**
     * Nothing the daemon printed in any of its runs (log and console) holds a SCRAM verifier or a password it was
     * given: every node of every test checks this when it closes.
     */
    void assertNoSecretInOutput() throws IOException {
        List<String> secrets = new ArrayList<>(List.of("SCRAM-SHA-256$"));
        for (String key : List.of("SU_PASSWORD", "REPL_PASSWORD", "OPERATOR_PASSWORD", "PGHA_STORE_SECRET")) {
            String v = env.get(key);
            if (v != null && v.length() >= 8) {
                secrets.add(v);
            }
        }
        if (!Files.isDirectory(logDir)) {
            return;
        }
        try (var files = Files.list(logDir)) {
            for (Path f : files.toList()) {
                String text = read(f);
                for (String secret : secrets) {
                    if (text.contains(secret)) {
                        throw new AssertionError(f + " holds a secret ("
                                + (secret.startsWith("SCRAM") ? "a SCRAM verifier" : "a configured password")
                                + ") in line: "
                                + text.lines()
                                        .filter(l -> l.contains(secret))
                                        .findFirst()
                                        .orElse("")
                                        .replace(secret, "<secret>"));
                    }
                }
            }
        }
    }

    /** After a kill -9 of the daemon its postgres lives on: stop it by the pid PGDATA records, if it is ours. */
    void killLeftoverPostgres() throws InterruptedException {
        OptionalLong pid = postmasterPid();
        if (pid.isEmpty()) {
            return;
        }
        Optional<ProcessHandle> h = ProcessHandle.of(pid.getAsLong());
        if (h.isPresent() && servesThisNode(Path.of("/proc", Long.toString(pid.getAsLong()), "cwd"))) {
            signal(pid.getAsLong(), "QUIT"); // immediate shutdown: the postmaster takes its backends with it
            if (!waitForExit(h.get(), Duration.ofSeconds(10))) {
                h.get().destroyForcibly();
                waitForExit(h.get(), Duration.ofSeconds(10));
            }
        }
    }

    /** Sends a signal by pid with bash's kill builtin (Java can only send TERM and KILL). */
    static void signal(long pid, String signal) throws InterruptedException {
        try {
            new ProcessBuilder("bash", "-c", "kill -s " + signal + " \"$1\"", "kill", Long.toString(pid))
                    .inheritIO()
                    .start()
                    .waitFor(10, TimeUnit.SECONDS);
        } catch (IOException e) {
            throw new IllegalStateException("cannot run bash to send SIG" + signal, e);
        }
    }

    static boolean waitForExit(ProcessHandle h, Duration timeout) {
        try {
            h.onExit().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            return true;
        } catch (Exception e) {
            return !h.isAlive();
        }
    }

    private static final Set<Integer> HANDED_OUT = ConcurrentHashMap.newKeySet();

    /**
     * A port free right now, below Linux's ephemeral range (32768+): the kernel never picks it for an outgoing
     * connection, so it stays free until the daemon that was given it binds it. Never the same twice in one run.
     */
    static int freePort() throws IOException {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        for (int attempt = 0; attempt < 1000; attempt++) {
            int port = random.nextInt(20000, 32000);
            if (!HANDED_OUT.add(port)) {
                continue;
            }
            try (ServerSocket s = new ServerSocket(port)) {
                return port;
            } catch (IOException taken) {
                // try another
            }
        }
        throw new IOException("no free port found in 20000-32000");
    }

    static Path jar() {
        String p = System.getProperty("pgha.jar");
        if (p == null) {
            throw new IllegalStateException(
                    "system property pgha.jar is not set: run the tests through Maven (mvn verify)");
        }
        return Path.of(p);
    }

    private static String javaBinary() {
        return ProcessHandle.current().info().command().orElse("java");
    }

    private static String read(Path p) {
        try {
            return p == null || !Files.exists(p) ? "" : Files.readString(p, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }
}
