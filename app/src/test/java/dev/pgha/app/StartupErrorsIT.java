package dev.pgha.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Bad input at start-up: the daemon exits with code 1 and exactly one line on stderr that names the cause and the
 * fix; it starts nothing and leaves the data directory as it was.
 */
class StartupErrorsIT {
    private static final Duration EXIT = Duration.ofSeconds(60);

    private PghaNode node;

    @BeforeEach
    void setUp() throws IOException {
        node = PghaNode.inNewDir("pgha-errors").withFreePorts();
    }

    @AfterEach
    void tearDown() throws Exception {
        node.close();
    }

    private List<String> failingRun() throws Exception {
        int code = node.runToExit(EXIT);
        assertThat(code).as("exit code; stderr:\n" + node.log()).isEqualTo(1);
        assertThat(node.out()).isEmpty();
        assertThat(node.postgresProcesses()).isEmpty();
        return node.logLines();
    }

    @ParameterizedTest(name = "{0}={1}")
    @CsvSource(delimiter = '|', textBlock = """
            PG_PORT        | abc          | pgha: PG_PORT="abc" is not valid for postgres.port: expected a TCP port number 1-65535
            PG_PROXY_PORT  | 99999        | pgha: PG_PROXY_PORT="99999" is not valid for proxy.port: expected a TCP port number 1-65535
            FLY_REGION     | AMS!         | pgha: FLY_REGION="AMS!" is not valid for region: expected a region name such as "ams" or "us-east-1": up to 32 lowercase letters, digits and '-' (not at either end)
            PRIMARY_REGION | ams,lhr      | pgha: PRIMARY_REGION="ams,lhr" is not valid for primaryRegion: expected a region name such as "ams" or "us-east-1": up to 32 lowercase letters, digits and '-' (not at either end)
            PGHA_ZK_CONNECT| localhost   | pgha: PGHA_ZK_CONNECT="localhost" is not valid for store.connect: expected a ZooKeeper connect string host:port[,host:port...][/chroot]
            PGHA_PG_LISTEN_ADDRESSES | 10.0.0.1' ssl=off | pgha: PGHA_PG_LISTEN_ADDRESSES="10.0.0.1' ssl=off" is not valid for postgres.listenAddresses: expected "*" or a comma-separated list of host names and IP addresses
            PGHA_REQUIRE_TLS | maybe     | pgha: PGHA_REQUIRE_TLS="maybe" is not valid for postgres.requireTls: expected true or false
            PGHA_PROXY_MAX_UNAUTHENTICATED | 0 | pgha: PGHA_PROXY_MAX_UNAUTHENTICATED="0" is not valid for proxy.maxUnauthenticatedPerAddress: expected a number of connections between 1 and 1000000
            """)
    void malformedEnvironmentValue(String variable, String value, String expected) throws Exception {
        node.env.put(variable, value);
        assertThat(failingRun()).containsExactly(expected);
        assertThat(node.dataDir).doesNotExist(); // nothing was created
    }

    @Test
    void membersOfAMultiNodeClusterMustBeGivenTheSharedPasswords() throws Exception {
        node.env.put("PGHA_ZK_CONNECT", "127.0.0.1:" + PghaNode.freePort());
        node.env.put("SU_PASSWORD", "only-this-one");
        assertThat(failingRun())
                .containsExactly(
                        "pgha: REPL_PASSWORD, OPERATOR_PASSWORD not set: every member of a "
                                + "multi-node cluster (PGHA_ZK_ENSEMBLE, PGHA_ZK_CONNECT or PGHA_JOIN) needs the same SU_PASSWORD, REPL_PASSWORD "
                                + "and OPERATOR_PASSWORD, as members copy each other's data; set them as secrets of every node");
        assertThat(node.log()).doesNotContain("only-this-one");
    }

    @Test
    void aWitnessNeedsAnEnsemble() throws Exception {
        node.arg("--witness");
        assertThat(failingRun())
                .containsExactly(
                        "pgha: --witness runs one voter of the cluster's embedded ZooKeeper ensemble: set PGHA_JOIN "
                                + "to a member's address (or PGHA_ZK_ENSEMBLE and PGHA_ZK_MYID for a fixed ensemble); "
                                + "a witness has no postgres, so it is pointless on its own");
    }

    @Test
    void aDataDirectoryOwnedByAnotherUserIsRefused() throws Exception {
        Files.createDirectories(node.dataDir);
        Files.setAttribute(node.dataDir, "unix:uid", 65534);
        assertThat(failingRun())
                .containsExactly("pgha: refusing to use data directory " + node.dataDir + " (PGHA_DATA_DIR): "
                        + node.dataDir + " belongs to uid 65534, not to the user pgha runs as (uid 0) or root: if it "
                        + "is yours, chown 0 " + node.dataDir + "; otherwise remove it");
        assertThat(node.dataDir.resolve("pgha")).doesNotExist();
    }

    @Test
    void aSecretsFileSomeoneElseCouldHaveWrittenIsNotUsed() throws Exception {
        Path state = Files.createDirectories(node.dataDir.resolve("pgha"));
        Files.writeString(state.resolve("secrets"), "{\"operatorPassword\":\"planted\"}");
        Files.setPosixFilePermissions(state.resolve("secrets"), PosixFilePermissions.fromString("rw-rw-rw-"));
        assertThat(failingRun())
                .singleElement()
                .asString()
                .startsWith("pgha: refusing to read passwords from a file someone else could have written: "
                        + state.resolve("secrets") + " is writable by every user");
    }

    @Test
    void malformedValueInConfigFileNamesFileAndLine() throws Exception {
        Path conf = node.baseDir.resolve("custom.conf");
        Files.writeString(conf, "# my settings\nkeeper.heartbeat = often\n");
        node.arg("--config").arg(conf.toString());
        assertThat(failingRun())
                .containsExactly("pgha: keeper.heartbeat = \"often\" in " + conf
                        + " line 2 is not valid: expected a duration between 50ms and 10s, such as 500ms, 2s or 5m");
    }

    @Test
    void missingPostgresBinariesSayHowToInstallThem() throws Exception {
        Path conf = node.baseDir.resolve("custom.conf");
        Files.writeString(conf, "postgres.installRoot = \"" + node.baseDir.resolve("no-postgres-here") + "\"\n");
        node.arg("--config").arg(conf.toString());
        node.env.put("PATH", node.baseDir.resolve("empty-bin").toString()); // no pg_config either
        assertThat(failingRun())
                .containsExactly("pgha: PostgreSQL server binaries not found: no pg_config on PATH and "
                        + "no " + node.baseDir.resolve("no-postgres-here")
                        + "/<version>/bin/postgres; install them (apt-get install -y "
                        + "postgresql-15) or set PGHA_PG_BIN_DIR");
    }

    @Test
    void wrongBinDirIsNamed() throws Exception {
        node.env.put("PGHA_PG_BIN_DIR", "/usr/lib");
        assertThat(failingRun())
                .containsExactly(
                        "pgha: PGHA_PG_BIN_DIR /usr/lib does not hold executable postgres, "
                                + "initdb, pg_controldata: point it at a PostgreSQL bin directory such as /usr/lib/postgresql/15/bin");
    }

    @ParameterizedTest(name = "{0} in use")
    @CsvSource({"PG_PROXY_PORT", "PG_PORT", "PGHA_ZK_PORT"})
    void portAlreadyInUseIsNamedWithItsVariable(String variable) throws Exception {
        int port = Integer.parseInt(node.env.get(variable));
        try (ServerSocket taken = new ServerSocket()) {
            taken.bind(new InetSocketAddress("127.0.0.1", port));
            assertThat(failingRun())
                    .containsExactly("pgha: port " + port + " (" + variable + ") is already in use: "
                            + "stop what listens there, or set " + variable + " to a free port");
        }
    }

    @Test
    void dataDirectoryThatCannotBeCreated() throws Exception {
        Path file = node.baseDir.resolve("a-file");
        Files.writeString(file, "not a directory");
        node.env.put("PGHA_DATA_DIR", file.resolve("data").toString());
        assertThat(failingRun())
                .singleElement()
                .asString()
                .startsWith("pgha: cannot create data directory " + file.resolve("data") + " (PGHA_DATA_DIR): ")
                .endsWith("; mount a writable volume there or set PGHA_DATA_DIR");
    }

    @Test
    void dataDirectoryThatIsNotWritable() throws Exception {
        node.env.put("PGHA_DATA_DIR", "/proc/self"); // exists, but not even root can create files in it
        assertThat(failingRun())
                .singleElement()
                .asString()
                .startsWith("pgha: data directory /proc/self (PGHA_DATA_DIR) is not writable: ")
                .endsWith("; mount a writable volume there or set PGHA_DATA_DIR");
    }

    @Test
    void unknownSettingInConfigFile() throws Exception {
        Files.createDirectories(node.dataDir);
        Files.writeString(node.dataDir.resolve("pgha.conf"), "proxy {\n  prot = 6432\n}\n");
        assertThat(failingRun())
                .containsExactly(
                        "pgha: unknown setting proxy.prot in "
                                + node.dataDir.resolve("pgha.conf")
                                + " line 2; known settings under proxy: connectTimeout, holdTimeout, "
                                + "maxConnections, maxHeld, maxUnauthenticatedPerAddress, port, readOnlyMaxLag, readOnlyPort, threads");
        try (var entries = Files.list(node.dataDir)) {
            assertThat(entries.map(p -> p.getFileName().toString())).containsExactly("pgha.conf");
        }
    }
}
