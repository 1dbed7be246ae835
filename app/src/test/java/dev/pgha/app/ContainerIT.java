package dev.pgha.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.model.Bind;
import com.github.dockerjava.api.model.ContainerNetwork;
import com.github.dockerjava.api.model.ExposedPort;
import com.github.dockerjava.api.model.Volume;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
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
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.Container;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.Network;
import org.testcontainers.containers.wait.strategy.Wait;

/**
 * The container image as a platform runs it, on a real container engine (podman through its Docker-compatible API;
 * .ci/run sets it up): one container with a /data volume, and three containers on one network forming a cluster
 * with an embedded ZooKeeper ensemble. Skipped, with one line, when no engine is reachable.
 */
class ContainerIT {
    static final String IMAGE = "localhost/pgha:dev";
    private static final Pattern PASSWORD = Pattern.compile("(?m)^  Password:\\s+([0-9a-f]{48})$");
    private static final Duration READY = Duration.ofSeconds(120);

    @BeforeAll
    static void engineAndImage() throws Exception {
        // No DOCKER_HOST and no default socket: do not let Testcontainers search (and log) at length.
        String dockerHost = System.getenv("DOCKER_HOST");
        boolean engine = dockerHost != null || Files.exists(Path.of("/var/run/docker.sock"));
        if (engine) {
            try {
                engine = DockerClientFactory.instance().isDockerAvailable();
            } catch (RuntimeException e) {
                engine = false;
            }
        }
        Assumptions.assumeTrue(
                engine,
                "no container engine reachable (DOCKER_HOST unset or down; .ci/run sets up "
                        + "podman): skipping the container-image tests");
        // the image from this checkout's jar (image/ holds the container files, next to this module)
        Path script =
                Path.of(System.getProperty("user.dir")).resolveSibling("image").resolve("build-image.sh");
        Process build = new ProcessBuilder("bash", script.toString())
                .redirectErrorStream(true)
                .start();
        String out = new String(build.getInputStream().readAllBytes());
        assertThat(build.waitFor(15, TimeUnit.MINUTES)).isTrue();
        assertThat(build.exitValue()).as("image/build-image.sh:\n" + out).isZero();
    }

    private static DockerClient docker() {
        return DockerClientFactory.instance().client();
    }

    private static Connection connect(String host, int port, String password) throws SQLException {
        Properties p = new Properties();
        p.setProperty("user", "postgres");
        p.setProperty("password", password);
        p.setProperty("sslmode", "require"); // from outside the container: not loopback, and a superuser
        p.setProperty("connectTimeout", "5");
        p.setProperty("socketTimeout", "30");
        return DriverManager.getConnection("jdbc:postgresql://" + host + ":" + port + "/postgres", p);
    }

    private static String password(GenericContainer<?> c) {
        Matcher m = PASSWORD.matcher(c.getLogs());
        assertThat(m.find()).as("credentials in the log:\n" + c.getLogs()).isTrue();
        return m.group(1);
    }

    private static List<String> healthCheckTest;

    /** The image's HEALTHCHECK test: Docker's API has it; podman's compatible API leaves it out, its CLI has it. */
    private static synchronized List<String> healthCheckCommand() throws IOException, InterruptedException {
        if (healthCheckTest == null) {
            var config = docker().inspectImageCmd(IMAGE).exec().getConfig();
            if (config != null && config.getHealthcheck() != null) {
                healthCheckTest = config.getHealthcheck().getTest();
            } else {
                Process p = new ProcessBuilder("podman", "image", "inspect", IMAGE).start();
                JsonNode json = new ObjectMapper().readTree(p.getInputStream().readAllBytes());
                p.waitFor(30, TimeUnit.SECONDS);
                List<String> test = new ArrayList<>();
                json.get(0).path("Healthcheck").path("Test").forEach(n -> test.add(n.asText()));
                healthCheckTest = test;
            }
        }
        return healthCheckTest;
    }

    /** The image's own HEALTHCHECK command, run in the container as the engine would. */
    private static Container.ExecResult healthCheck(GenericContainer<?> c) throws IOException, InterruptedException {
        List<String> test = healthCheckCommand();
        assertThat(test).containsExactly("CMD", "pgha", "check", "role");
        return c.execInContainer(test.subList(1, test.size()).toArray(String[]::new));
    }

    @Test
    void aSingleContainerServesSurvivesStopAndStartAndStopsCleanly() throws Exception {
        String volume = "pgha-it-" + UUID.randomUUID().toString().substring(0, 8);
        try (GenericContainer<?> node = new GenericContainer<>(IMAGE)
                .withExposedPorts(5432, 5500)
                .withEnv("PGHA_PG_MEMORY", "256MB")
                .withCreateContainerCmdModifier(
                        cmd -> cmd.getHostConfig().withBinds(new Bind(volume, new Volume("/data"))))
                .waitingFor(Wait.forLogMessage(".*ready: clients connect to port 5432.*", 1)
                        .withStartupTimeout(READY))) {
            node.start();
            String password = password(node);
            try (Connection c = connect("127.0.0.1", node.getMappedPort(5432), password);
                    Statement st = c.createStatement()) {
                st.execute("CREATE TABLE notes(id int); INSERT INTO notes SELECT generate_series(1, 100)");
            }
            Container.ExecResult health = healthCheck(node);
            assertThat(health.getExitCode()).as(health.getStderr()).isZero();
            assertThat(health.getStdout()).isEqualTo("leader\n");

            // stop: SIGTERM through tini, a clean exit well before the engine's kill
            String id = node.getContainerId();
            long start = System.nanoTime();
            docker().stopContainerCmd(id).withTimeout(60).exec();
            double seconds = (System.nanoTime() - start) / 1e9;
            InspectContainerResponse stopped = docker().inspectContainerCmd(id).exec();
            assertThat(stopped.getState().getExitCodeLong())
                    .as("exit code after %.1f s", seconds)
                    .isZero();
            assertThat(node.getLogs()).contains("INFO  [pgha] stopped").doesNotContain("ERROR");

            // start the same container again: same data, no new credentials
            docker().startContainerCmd(id).exec();
            int port = hostPort(id, 5432); // the engine keeps the mapping, but ask again
            await().atMost(READY).ignoreExceptions().untilAsserted(() -> {
                try (Connection c = connect("127.0.0.1", port, password);
                        Statement st = c.createStatement();
                        ResultSet rs = st.executeQuery("SELECT count(*) FROM notes")) {
                    rs.next();
                    assertThat(rs.getLong(1)).isEqualTo(100);
                }
            });
            assertThat(PASSWORD.matcher(node.getLogs()).results().count()).isEqualTo(1);
        } finally {
            docker().removeVolumeCmd(volume).exec();
        }
    }

    @Test
    void threeContainersFailOverOnKillAndFenceAnIsolatedLeader() throws Exception {
        List<GenericContainer<?>> nodes = new ArrayList<>();
        try (Network network = Network.newNetwork()) {
            String ensemble = "1=pg1:2888:3888;2181,2=pg2:2888:3888;2181,3=pg3:2888:3888;2181";
            for (int i = 1; i <= 3; i++) {
                GenericContainer<?> c = new GenericContainer<>(IMAGE)
                        .withNetwork(network)
                        .withNetworkAliases("pg" + i)
                        // no published ports: the test works inside the containers, so a network disconnect and
                        // reconnect leaves no port-forwarding rules behind on the host
                        .withEnv("PGHA_NODE_ID", "pg" + i)
                        .withEnv("PGHA_ZK_ENSEMBLE", ensemble)
                        .withEnv("PGHA_ZK_MYID", Integer.toString(i))
                        .withEnv("PGHA_PG_MEMORY", "256MB")
                        .withEnv("SU_PASSWORD", "su-container-test")
                        .withEnv("REPL_PASSWORD", "repl-container-test")
                        .withEnv("OPERATOR_PASSWORD", "op-container-test")
                        // the first node waits for a majority of the ensemble: started once it runs, not once it serves
                        .waitingFor(Wait.forLogMessage(".*starting member pg" + i + ".*", 1));
                nodes.add(c);
            }
            nodes.forEach(GenericContainer::start);
            GenericContainer<?> leader = awaitLeader(nodes, null);
            GenericContainer<?> replica =
                    nodes.stream().filter(n -> n != leader).findFirst().orElseThrow();

            // the health check passes on the leader and on a replica
            await().atMost(READY).ignoreExceptions().untilAsserted(() -> {
                Container.ExecResult r = healthCheck(replica);
                assertThat(r.getExitCode()).isZero();
                assertThat(r.getStdout()).isEqualTo("replica\n");
            });
            assertThat(healthCheck(leader).getStdout()).isEqualTo("leader\n");

            // acknowledged writes through a replica's proxy survive a kill of the leader's container
            Container.ExecResult created = psql(replica, 5432, "CREATE TABLE appends(id bigint PRIMARY KEY)");
            assertThat(created.getExitCode())
                    .as(
                            "psql through %s's proxy: %s\n%s",
                            replica.getNetworkAliases(), created.getStderr(), logs(nodes))
                    .isZero();
            long acknowledged = 0;
            for (int batch = 0; batch < 4; batch++) {
                Container.ExecResult r = psql(
                        replica,
                        5432,
                        "INSERT INTO appends "
                                + "SELECT (SELECT coalesce(max(id), 0) FROM appends) + g FROM generate_series(1, 50) g");
                assertThat(r.getExitCode()).as(r.getStderr()).isZero(); // psql returned: the commit was acknowledged
                acknowledged += 50;
            }
            // Only a cluster that can fail over is killed: right after it formed, the leader has acknowledged writes
            // before any standby was synchronous, and automatic failover stays off until it confirms one has them all
            // ("nothing to warn about"; the health checks and these writes may all pass within that second or two).
            awaitHealthy(replica);
            docker().killContainerCmd(leader.getContainerId()).exec();
            GenericContainer<?> next = awaitLeader(nodes, leader);
            assertThat(psql(next, 5433, "SELECT count(*) FROM appends")
                            .getStdout()
                            .strip())
                    .isEqualTo(Long.toString(acknowledged));

            // the killed container comes back as a replica
            docker().startContainerCmd(leader.getContainerId()).exec();
            await().atMost(READY)
                    .ignoreExceptions()
                    .untilAsserted(
                            () -> assertThat(healthCheck(leader).getStdout()).isEqualTo("replica\n"));

            // a healthy cluster first (both replicas streaming, nothing to warn about), as a platform would see it
            awaitHealthy(next);

            // cut the new leader off the network: it fences itself (stops taking writes), the others elect a leader
            String netId = network.getId();
            docker().disconnectFromNetworkCmd()
                    .withNetworkId(netId)
                    .withContainerId(next.getContainerId())
                    .withForce(true)
                    .exec();
            await().atMost(READY)
                    .ignoreExceptions()
                    .untilAsserted(() -> assertThat(psql(next, 5433, "INSERT INTO appends VALUES (100000)")
                                    .getExitCode())
                            .as("a write on the isolated leader")
                            .isNotZero());
            GenericContainer<?> third =
                    awaitLeader(nodes.stream().filter(n -> n != next).toList(), null);
            assertThat(third).isNotSameAs(next);

            // reconnected, it rejoins as a replica
            docker().connectToNetworkCmd()
                    .withNetworkId(netId)
                    .withContainerId(next.getContainerId())
                    .withContainerNetwork(new ContainerNetwork().withAliases("pg" + (nodes.indexOf(next) + 1)))
                    .exec();
            await().atMost(READY)
                    .ignoreExceptions()
                    .untilAsserted(
                            () -> assertThat(healthCheck(next).getStdout()).isEqualTo("replica\n"));
        } finally {
            nodes.forEach(GenericContainer::stop);
        }
    }

    /** psql inside {@code c} against its own port (5432 the proxy, 5433 postgres), as the operator user. */
    private static Container.ExecResult psql(GenericContainer<?> c, int port, String sql)
            throws IOException, InterruptedException {
        return c.execInContainerWithUser(
                "root",
                "env",
                "PGPASSWORD=op-container-test",
                "psql",
                "-X",
                "-At",
                "-h",
                "127.0.0.1",
                "-p",
                Integer.toString(port),
                "-U",
                "postgres",
                "-d",
                "postgres",
                "-c",
                sql);
    }

    /** The last lines of every container's log, for a failure's message. */
    private static String logs(List<GenericContainer<?>> nodes) {
        StringBuilder logs = new StringBuilder();
        nodes.forEach(n -> logs.append("\n== ")
                .append(n.getNetworkAliases())
                .append('\n')
                .append(tail(pghaLines(n.getLogs()), 120)));
        return logs.toString();
    }

    /** pgha's own lines and postgres's warnings and errors: a standby's routine LOG lines would fill any tail. */
    private static String pghaLines(String log) {
        return log.lines()
                .filter(l -> !l.contains("INFO  [postgres]"))
                .collect(java.util.stream.Collectors.joining("\n"));
    }

    private static String tail(String log, int lines) {
        List<String> all = log.lines().toList();
        return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
    }

    private static int hostPort(String containerId, int port) {
        var bindings = docker().inspectContainerCmd(containerId)
                .exec()
                .getNetworkSettings()
                .getPorts()
                .getBindings()
                .get(ExposedPort.tcp(port));
        return Integer.parseInt(bindings[0].getHostPortSpec());
    }

    /** Every member running or streaming and `pgha status` on {@code via} warns of nothing. */
    private static void awaitHealthy(GenericContainer<?> via) {
        await().atMost(READY)
                .pollInterval(Duration.ofSeconds(2))
                .ignoreExceptions()
                .untilAsserted(() -> {
                    Container.ExecResult status = via.execInContainer("pgha", "status", "--json");
                    JsonNode s = new ObjectMapper().readTree(status.getStdout());
                    assertThat(s.get("warnings")).as(status.getStdout()).isEmpty();
                    for (JsonNode m : s.get("members")) {
                        assertThat(m.get("state").asText()).isIn("running", "streaming");
                    }
                });
    }

    /**
     * The container whose /flycheck/role says leader (other than {@code not}), polled through the health check; on
     * timeout the failure shows each container's last health-check answer and its log.
     */
    private static GenericContainer<?> awaitLeader(List<GenericContainer<?>> nodes, GenericContainer<?> not) {
        GenericContainer<?>[] found = new GenericContainer<?>[1];
        Map<String, String> answers = new ConcurrentHashMap<>();
        try {
            await().atMost(READY).pollInterval(Duration.ofSeconds(1)).until(() -> {
                for (GenericContainer<?> n : nodes) {
                    try {
                        Container.ExecResult r = healthCheck(n);
                        answers.put(
                                n.getNetworkAliases().toString(),
                                r.getExitCode() + " " + r.getStdout().strip() + " "
                                        + r.getStderr().strip());
                        if (n != not && r.getStdout().equals("leader\n")) {
                            found[0] = n;
                            return true;
                        }
                    } catch (RuntimeException | IOException e) {
                        // a stopped container cannot run its health check
                    }
                }
                return false;
            });
        } catch (ConditionTimeoutException e) {
            throw new AssertionError(
                    "no leader" + (not == null ? "" : " other than " + not.getNetworkAliases())
                            + "; last health checks " + answers + logs(nodes),
                    e);
        }
        return Optional.ofNullable(found[0]).orElseThrow();
    }
}
