package dev.pgha.chaos;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Stream;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The launcher: builds the suite's network namespaces, runs the chaos run inside the hub namespace as a child JVM,
 * and removes everything it created (namespaces, every process in them, data directories), even after a failure
 * or Ctrl-C. Exit code: 0 when every check passed, 1 when one failed, 2 when the suite could not run.
 */
@Command(
        name = "chaos",
        mixinStandardHelpOptions = true,
        description = "Runs a 3-node pgha cluster in network namespaces under a workload, injects faults and checks "
                + "that no acknowledged write was lost and no two leaders took writes at once.")
public final class Chaos implements Callable<Integer> {
    @Option(
            names = "--faults",
            defaultValue = "10",
            description = "How many faults to inject (default ${DEFAULT-VALUE}).")
    int faults;

    @Option(names = "--seed", description = "Seed choosing the faults and their targets (default: random, printed).")
    Long seed;

    @Option(names = "--appenders", defaultValue = "4", description = "Append clients (default ${DEFAULT-VALUE}).")
    int appenders;

    @Option(names = "--registers", defaultValue = "2", description = "Register clients (default ${DEFAULT-VALUE}).")
    int registers;

    @Option(names = "--pgha-jar", defaultValue = "app/target/pgha.jar", description = "The daemon under test.")
    Path pghaJar;

    @Option(
            names = "--only",
            split = ",",
            paramLabel = "KIND",
            description = "Inject only these fault kinds (comma-separated labels, e.g. store-outage,partition-leader).")
    List<String> only = List.of();

    @Option(
            names = "--async",
            description = "Asynchronous replication (PGHA_SYNCHRONOUS_MODE=off): acknowledged writes may be lost in a "
                    + "failover; the report gives how many and how old instead of failing on them.")
    boolean async;

    @Option(
            names = "--max-lag",
            paramLabel = "BYTES",
            description =
                    "With --async: cluster.maximumLagOnFailover for the cluster (default ${DEFAULT-VALUE}, pgha's "
                            + "default); the run fails if the acknowledged writes one fault lost span more WAL than this.")
    long maxLag = DEFAULT_MAX_LAG;

    @Option(
            names = "--synchronous-standbys",
            paramLabel = "N",
            description = "cluster.synchronousStandbys for the cluster (default ${DEFAULT-VALUE}): a commit waits "
                    + "for ANY N standbys.")
    int synchronousStandbys = 1;

    /** pgha's own default cluster.maximumLagOnFailover (1MB). */
    static final long DEFAULT_MAX_LAG = 1_000_000;

    @Option(names = "--report", description = "Also write the report as JSON to this file.")
    Path report;

    @Option(names = "--logs", description = "Copy every node's and peer's log into this directory at the end.")
    Path logs;

    public static void main(String[] args) {
        System.exit(new CommandLine(new Chaos()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        Optional<String> missing = missingPrerequisite();
        if (missing.isPresent()) {
            System.err.println("chaos: " + missing.get());
            return 2;
        }
        if (!Files.isRegularFile(pghaJar)) {
            System.err.println("chaos: no pgha jar at " + pghaJar.toAbsolutePath() + ": build it first (mvn package) or"
                    + " give --pgha-jar");
            return 2;
        }
        try {
            only.forEach(Fault::byLabel);
        } catch (IllegalArgumentException e) {
            System.err.println("chaos: --only: " + e.getMessage());
            return 2;
        }
        if ((only.isEmpty() || only.contains(Fault.CLOCK_SKEW.label))
                && NodeClocks.library().isEmpty()) {
            System.err.println("chaos: " + NodeClocks.missing());
            return 2;
        }
        Outcome outcome = run(new Settings(
                faults,
                seed == null ? ThreadLocalRandom.current().nextLong(1, 1_000_000) : seed,
                appenders,
                registers,
                pghaJar.toAbsolutePath(),
                logs,
                null,
                only,
                async,
                maxLag,
                synchronousStandbys));
        if (report != null && outcome.report() != null) {
            new ObjectMapper().writerWithDefaultPrettyPrinter().writeValue(report.toFile(), outcome.report());
        }
        return outcome.exitCode();
    }

    /**
     * @param output where the run's progress and summary go; null = this process's stdout
     * @param only   the fault kinds to inject (labels); empty = every kind
     * @param async  asynchronous replication: lost writes are reported, not failed on
     * @param maxLag asynchronous replication: cluster.maximumLagOnFailover, which the WAL lost in one fault must not
     *               exceed
     * @param synchronousStandbys cluster.synchronousStandbys: how many standbys a commit waits for
     */
    record Settings(
            int faults,
            long seed,
            int appenders,
            int registers,
            Path pghaJar,
            Path logs,
            Path output,
            List<String> only,
            boolean async,
            long maxLag,
            int synchronousStandbys) {
        Settings(int faults, long seed, int appenders, int registers, Path pghaJar, Path logs, Path output) {
            this(faults, seed, appenders, registers, pghaJar, logs, output, List.of(), false, DEFAULT_MAX_LAG, 1);
        }
    }

    record Outcome(int exitCode, Report report) {}

    /** Why this machine cannot run the suite (it needs root and iproute2 for namespaces), if it cannot. */
    static Optional<String> missingPrerequisite() {
        if (!"root".equals(System.getProperty("user.name"))) {
            return Optional.of("the chaos suite needs root (it creates network namespaces); run it as root");
        }
        if (Shell.run(List.of("ip", "netns", "list")).code() != 0
                || Shell.run(List.of("iptables", "--version")).code() != 0) {
            return Optional.of(
                    "the chaos suite needs iproute2 (ip netns) and iptables: apt-get install -y iproute2 iptables");
        }
        if (Shell.run(List.of("stress-ng", "--version")).code() != 0) {
            return Optional.of(
                    "the chaos suite needs stress-ng (its cpu-starvation fault): apt-get install -y stress-ng");
        }
        return Optional.empty();
    }

    /** Runs the suite. */
    static Outcome run(Settings s) throws IOException, InterruptedException {
        String prefix = "pghac"
                + HexFormat.of().toHexDigits((short) ThreadLocalRandom.current().nextInt());
        Topology topology = new Topology(prefix, 3);
        Path work = Files.createTempDirectory(
                "pgha-chaos", PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx--x--x")));
        Path reportFile = work.resolve("report.json");
        Process[] child = new Process[1];
        Thread cleanup = new Thread(() -> cleanUp(child[0], topology, work, s.logs()), "chaos-cleanup");
        Runtime.getRuntime().addShutdownHook(cleanup);
        try {
            System.out.println("chaos: seed " + s.seed() + ", " + s.faults() + " faults; namespaces " + prefix
                    + "-*, work " + work);
            topology.create();
            Path plan = work.resolve("plan.json");
            new ObjectMapper()
                    .writeValue(
                            plan.toFile(),
                            new Plan(
                                    prefix,
                                    3,
                                    work.toString(),
                                    s.pghaJar().toString(),
                                    s.faults(),
                                    s.seed(),
                                    s.appenders(),
                                    s.registers(),
                                    reportFile.toString(),
                                    s.only(),
                                    s.async(),
                                    s.maxLag(),
                                    s.synchronousStandbys()));
            ProcessBuilder pb = new ProcessBuilder(
                    "ip",
                    "netns",
                    "exec",
                    topology.hub(),
                    ProcessHandle.current().info().command().orElse("java"),
                    "-Xmx1g",
                    "-XX:+UseSerialGC",
                    "-cp",
                    ownJar().toString(),
                    ChaosRun.class.getName(),
                    plan.toString());
            if (s.output() == null) {
                pb.inheritIO();
            } else {
                Files.createDirectories(s.output().toAbsolutePath().getParent());
                pb.redirectErrorStream(true).redirectOutput(s.output().toFile());
            }
            child[0] = pb.start();
            int code = child[0].waitFor();
            Report report =
                    Files.exists(reportFile) ? new ObjectMapper().readValue(reportFile.toFile(), Report.class) : null;
            return new Outcome(report == null ? 2 : code, report);
        } finally {
            cleanUp(child[0], topology, work, s.logs());
            Runtime.getRuntime().removeShutdownHook(cleanup);
        }
    }

    private static synchronized void cleanUp(Process child, Topology topology, Path work, Path logs) {
        if (child != null && child.isAlive()) {
            child.destroyForcibly();
        }
        topology.destroy();
        try {
            if (logs != null && Files.isDirectory(work.resolve("logs"))) {
                Files.createDirectories(logs);
                try (Stream<Path> files = Files.list(work.resolve("logs"))) {
                    for (Path f : files.toList()) {
                        Files.copy(f, logs.resolve(f.getFileName()), StandardCopyOption.REPLACE_EXISTING);
                    }
                }
            }
            if (Files.exists(work)) {
                try (Stream<Path> paths = Files.walk(work)) {
                    for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                        Files.deleteIfExists(p);
                    }
                }
            }
        } catch (IOException e) {
            System.err.println("chaos: could not remove " + work + ": " + e.getMessage());
        }
    }

    /** The jar holding this suite (the child runs from it). */
    private static Path ownJar() {
        String configured = System.getProperty("chaos.jar");
        if (configured != null) {
            return Path.of(configured);
        }
        try {
            return Path.of(Chaos.class
                    .getProtectionDomain()
                    .getCodeSource()
                    .getLocation()
                    .toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }
}
