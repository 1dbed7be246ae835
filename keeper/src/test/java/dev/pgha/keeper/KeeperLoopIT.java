package dev.pgha.keeper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.pgha.common.config.ConfigLoader;
import dev.pgha.common.config.PghaConfig;
import dev.pgha.common.failsafe.Failsafe;
import dev.pgha.common.model.Cause;
import dev.pgha.common.model.ClusterView;
import dev.pgha.common.model.KeeperStatus;
import dev.pgha.common.model.MemberInfo;
import dev.pgha.common.model.Phase;
import dev.pgha.common.model.Role;
import dev.pgha.common.secret.Credentials;
import dev.pgha.common.secret.Secret;
import dev.pgha.common.store.InMemoryCluster;
import dev.pgha.common.store.InMemoryClusterStore;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The keeper's loop against the in-memory store and a real postgres: what it publishes while it creates the
 * cluster, and when its postgres dies under it.
 */
class KeeperLoopIT {
    private static final Duration WAIT = Duration.ofSeconds(60);
    private final InMemoryCluster cluster = new InMemoryCluster();
    private final InMemoryClusterStore sentinel = cluster.connect();
    private Path dir;
    private PghaConfig config;
    private Keeper keeper;
    private PostgresEnvironment pg;
    private Credentials credentials;
    private Map<String, String> env;

    @BeforeEach
    void setUp() throws IOException {
        dir = Files.createTempDirectory("pgha-keeper-loop");
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx--x--x")); // postgres's OS user
        Map<String, String> env = new HashMap<>();
        env.put("PATH", System.getenv("PATH"));
        env.put("PGHA_DATA_DIR", dir.resolve("data").toString());
        env.put("PG_PORT", Integer.toString(freePort()));
        env.put("PGHA_PG_MEMORY", "256MB");
        config = ConfigLoader.load(Optional.empty(), env);
        Files.createDirectories(config.stateDir());
        pg = PostgresEnvironment.preflight(config, env);
        this.env = env;
        credentials = new Credentials(
                Secret.of("su-secret"), Secret.of("repl-secret"), Secret.of("operator-secret"), Set.of());
        keeper = newKeeper(credentials);
        sentinel.register(
                new MemberInfo("k1", null, "127.0.0.1", config.postgres().port(), 0, 0, Instant.now()));
    }

    @AfterEach
    void tearDown() throws IOException {
        try {
            if (keeper != null) {
                keeper.close(); // stops postgres
            }
        } finally {
            postmasterPid().flatMap(ProcessHandle::of).ifPresent(ProcessHandle::destroyForcibly);
            try (Stream<Path> paths = Files.walk(dir)) {
                for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    private Keeper newKeeper(Credentials with) {
        return new Keeper(
                config,
                "k1",
                with,
                cluster.connect(),
                pg,
                env,
                e -> {},
                () -> {},
                new Failsafe("k1", Duration.ofSeconds(2)));
    }

    private Optional<Long> postmasterPid() {
        return new DataDirectory(config.pgData(), dir.resolve("none"))
                .postmasterPid()
                .map(DataDirectory.PostmasterPid::pid);
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private void publish(long generation, Phase phase) {
        Optional<Integer> version = sentinel.view().map(v -> v.version());
        sentinel.compareAndSetView(
                new ClusterView(
                        generation,
                        "k1",
                        List.of(),
                        List.of(),
                        List.of(),
                        phase,
                        Cause.BOOTSTRAP,
                        "test",
                        null,
                        Instant.now()),
                version);
    }

    private KeeperStatus status() {
        return sentinel.snapshot().keeper("k1").orElse(null);
    }

    /** Starts the keeper, has it create the cluster and lead it in generation 2 (NORMAL). */
    private void startServingLeader() {
        keeper.start();
        publish(1, Phase.INITIALIZING);
        awaitServingPrimary(1);
        publish(2, Phase.NORMAL);
        awaitServingPrimary(2);
    }

    private void awaitServingPrimary(long generation) {
        await().atMost(WAIT).until(() -> {
            KeeperStatus s = status();
            return s != null && s.healthy() && s.role() == Role.PRIMARY && s.appliedGeneration() >= generation;
        });
    }

    @Test
    void whileItCreatesTheClusterItSaysSoAndThenServes() {
        keeper.start();
        publish(1, Phase.INITIALIZING);
        awaitServingPrimary(1);
        List<KeeperStatus> history = cluster.statusHistory("k1");
        assertThat(history)
                .as("the keeper published while initdb ran, saying so")
                .anySatisfy(s -> {
                    assertThat(s.pgUp()).isFalse();
                    assertThat(s.healthy()).isFalse();
                    assertThat(s.problem()).isEqualTo("running initdb");
                });
        assertThat(history.get(history.size() - 1).initialized()).isTrue();
    }

    @Test
    void anInitdbBegunAheadIsTakenWhenTheKeeperIsToldToCreateTheCluster() throws Exception {
        InitDbAhead ahead = InitDbAhead.start(config, pg, credentials);
        try {
            Path staging = InitDbAhead.stagingFor(config.pgData());
            await().atMost(WAIT).until(ahead::finished);
            Files.writeString(staging.resolve("made-ahead"), "x"); // tells its cluster from one the keeper makes
            keeper.initDbAhead(ahead);
            keeper.start();
            publish(1, Phase.INITIALIZING);
            awaitServingPrimary(1);
            assertThat(config.pgData().resolve("made-ahead")).exists();
            assertThat(staging).doesNotExist();
        } finally {
            ahead.close(); // taken: changes nothing
        }
        assertThat(config.pgData().resolve("PG_VERSION")).exists();
    }

    @Test
    void anInitdbBegunAheadThatIsNotTakenIsStoppedAndLeavesNothingBehind() throws Exception {
        Path staging = InitDbAhead.stagingFor(config.pgData());
        InitDbAhead ahead = InitDbAhead.start(config, pg, credentials);
        await().atMost(WAIT).until(() -> Files.exists(staging.resolve("PG_VERSION"))); // initdb is at work
        ahead.close();
        assertThat(staging).doesNotExist();
        assertThat(ProcessHandle.current()
                        .descendants()
                        .filter(ProcessHandle::isAlive)
                        .map(p -> p.info().command().orElse(""))
                        .filter(c -> c.endsWith("initdb") || c.endsWith("postgres")))
                .as("initdb and the postgres it runs are gone once close() returns")
                .isEmpty();

        // a staging directory a crashed start left is deleted by the next one
        Files.createDirectories(staging.resolve("base"));
        Files.writeString(staging.resolve("base/file"), "x");
        InitDbAhead.discardLeftover(config);
        assertThat(staging).doesNotExist();
    }

    @Test
    void whenTheLeadersPostgresDiesItsNextStatusNamesTheExitAndItIsStartedAgain() throws Exception {
        startServingLeader();
        long pid = postmasterPid().orElseThrow();
        int before = cluster.statusHistory("k1").size();
        ProcessHandle.of(pid).orElseThrow().destroyForcibly(); // kill -9 of the postmaster
        await().atMost(WAIT)
                .until(() -> cluster.statusHistory("k1").stream().skip(before).anyMatch(s -> !s.healthy()));
        KeeperStatus first = cluster.statusHistory("k1").stream()
                .skip(before)
                .filter(s -> !s.healthy())
                .findFirst()
                .orElseThrow();
        assertThat(first.problem())
                .as("the first unhealthy status after the crash names its cause")
                .startsWith("postgres exited unexpectedly with code ");
        assertThat(first.unhealthySince()).isNotNull();
        // it is restarted at once (the first crash has no backoff) and serves again
        await().atMost(WAIT).until(() -> {
            KeeperStatus s = status();
            return s != null && s.healthy() && postmasterPid().orElse(pid) != pid;
        });
    }

    /**
     * An idle leader's status changes only in its time: it goes to the store again every {@link StatusRefresh#MOST}
     * (often enough for the sentinel, which fails a leader over after cluster.failTimeout without a fresh one), not
     * every heartbeat, each write being a ZooKeeper transaction that wakes every member.
     */
    @Test
    void anIdleLeaderWritesItsUnchangedStatusAgainEveryFewSecondsNotEveryHeartbeat() throws Exception {
        startServingLeader();
        int before = cluster.statusHistory("k1").size();
        Thread.sleep(6000); // twelve heartbeats
        List<KeeperStatus> history = cluster.statusHistory("k1");
        List<KeeperStatus> window = history.subList(before - 1, history.size());
        assertThat(window.size())
                .as("the status was written again while nothing changed")
                .isGreaterThan(1);
        for (int i = 1; i < window.size(); i++) {
            KeeperStatus previous = window.get(i - 1);
            KeeperStatus next = window.get(i);
            if (next.withUpdatedAt(previous.updatedAt()).equals(previous)) {
                // half the interval: the stamps are wall-clock times taken a moment before the keeper times the
                // interval on the monotonic clock, and a busy machine may pause it in between (every heartbeat,
                // 500 ms, without StatusRefresh)
                assertThat(Duration.between(previous.updatedAt(), next.updatedAt()))
                        .as("an unchanged status written again (%s after %s)", next.updatedAt(), previous.updatedAt())
                        .isGreaterThanOrEqualTo(StatusRefresh.MOST.dividedBy(2));
            }
        }
    }

    /**
     * A leader sets pgha's roles' passwords as configured once per start or promotion; when the roles already have
     * them (a restart, a promoted standby) nothing is written.
     */
    @Test
    void aLeaderSetsChangedPasswordsAndLeavesTheRolesAloneWhenTheyMatch() throws Exception {
        startServingLeader();
        long written = rolesWrittenBy("su-secret");

        keeper.close(); // stops postgres
        keeper = newKeeper(credentials);
        keeper.start();
        await().atMost(WAIT).until(() -> postmasterPid().isPresent());
        awaitServingPrimary(2);
        assertThat(rolesWrittenBy("su-secret"))
                .as("the same passwords: the roles were not written")
                .isEqualTo(written);

        keeper.close();
        keeper = newKeeper(new Credentials(
                Secret.of("su-secret"), Secret.of("repl-secret"), Secret.of("new-operator-secret"), Set.of()));
        keeper.start();
        await().atMost(WAIT).ignoreExceptions().until(() -> logsIn(Credentials.OPERATOR_ROLE, "new-operator-secret"));
        assertThat(rolesWrittenBy("su-secret"))
                .as("a changed password: written")
                .isNotEqualTo(written);
        assertThatThrownBy(() -> logsIn(Credentials.OPERATOR_ROLE, "operator-secret"))
                .as("the old password no longer logs in")
                .isInstanceOf(SQLException.class);
    }

    private boolean logsIn(String role, String password) throws SQLException {
        try (Connection c = connect(role, password)) {
            return c.isValid(5);
        }
    }

    /** The transaction that last wrote pgha's roles (pg_authid's xmin), logging in as the superuser with password. */
    private long rolesWrittenBy(String password) throws SQLException {
        try (Connection c = connect(Credentials.SU_ROLE, password);
                ResultSet rs = c.createStatement()
                        .executeQuery("SELECT max(xmin::text::bigint) FROM pg_authid WHERE rolname IN "
                                + "('flypgadmin', 'repluser', 'postgres')")) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private Connection connect(String role, String password) throws SQLException {
        return DriverManager.getConnection(
                "jdbc:postgresql://127.0.0.1:" + config.postgres().port() + "/postgres", role, password);
    }

    /**
     * The daemon's shutdown interrupts a keeper action in progress; a start that is abandoned then stops the postgres
     * it started from that interrupted thread. The stop must still happen in full (it once gave up at the first
     * pg_ctl and left postgres running after pgha exited: StoreOutageIT's "postgres still running after exit 0").
     */
    @Test
    void aStopOnAnInterruptedThreadStillStopsPostgresAndItsChildren() {
        keeper.start();
        publish(1, Phase.INITIALIZING);
        awaitServingPrimary(1);
        long pid = postmasterPid().orElseThrow();
        List<ProcessHandle> children =
                ProcessHandle.of(pid).orElseThrow().children().toList();
        assertThat(children).as("a running postmaster has children").isNotEmpty();

        Thread.currentThread().interrupt();
        boolean interruptKept;
        try {
            PostgresServer.stopOrphan(pid, pg.binaries(), pg.osUser(), Duration.ofSeconds(30));
        } finally {
            interruptKept = Thread.interrupted();
        }

        assertThat(interruptKept).as("the interrupt is restored for the caller").isTrue();
        assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive)).isNotEqualTo(Optional.of(true));
        assertThat(children).noneMatch(ProcessHandle::isAlive);
    }
}
