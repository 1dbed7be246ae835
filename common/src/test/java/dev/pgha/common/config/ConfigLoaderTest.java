package dev.pgha.common.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ConfigLoaderTest {
    @TempDir
    Path dir;

    private PghaConfig load(Map<String, String> env) {
        return load(dir, env);
    }

    /** The configuration from {@code env} alone, with the data directory in {@code dir} unless env names one. */
    static PghaConfig load(Path dir, Map<String, String> env) {
        Map<String, String> withDir = new HashMap<>(env);
        withDir.putIfAbsent("PGHA_DATA_DIR", dir.toString());
        return ConfigLoader.load(Optional.empty(), withDir);
    }

    @Test
    void defaultsMatchTheDesign() {
        PghaConfig c = load(Map.of());
        assertThat(c.clusterName()).isEqualTo("pgha");
        assertThat(c.postgres().port()).isEqualTo(5433);
        assertThat(c.proxy().port()).isEqualTo(5432);
        assertThat(c.httpPort()).isEqualTo(5500);
        assertThat(c.metricsPort()).isEqualTo(9187);
        assertThat(c.store().embeddedPort()).isEqualTo(2181);
        assertThat(c.store().embedded()).isTrue();
        assertThat(c.store().sessionTimeout()).isEqualTo(Duration.ofSeconds(2));
        assertThat(c.postgres().maxConnections()).isEqualTo(300);
        assertThat(c.nodeId()).isEmpty();
        assertThat(c.secrets().suPassword()).isEmpty();
        assertThat(c.pgData()).isEqualTo(dir.resolve("postgres"));
        assertThat(c.health())
                .isEqualTo(new PghaConfig.Health(Duration.ofSeconds(5), 10, 4, 80, Duration.ofSeconds(3), 10_000_000L));
        assertThat(c.logFormat()).isEqualTo("text");
    }

    @Test
    void defaultDataDirIsSlashData() {
        PghaConfig c = ConfigLoader.load(Optional.empty(), Map.of());
        assertThat(c.dataDir()).isEqualTo(Path.of("/data"));
    }

    @Test
    void everyFlyVariableOverridesItsKey() {
        PghaConfig c = load(Map.ofEntries(
                Map.entry("FLY_APP_NAME", "my-db"),
                Map.entry("FLY_REGION", "ams"),
                Map.entry("PRIMARY_REGION", "ams"),
                Map.entry("PG_PORT", "6433"),
                Map.entry("PG_PROXY_PORT", "6432"),
                Map.entry("PGHA_HTTP_PORT", "6500"),
                Map.entry("PGHA_METRICS_PORT", "6187"),
                Map.entry("PGHA_ZK_PORT", "3181"),
                Map.entry("PGHA_NODE_ID", "node-1"),
                Map.entry("SU_PASSWORD", "su secret"),
                Map.entry("REPL_PASSWORD", "repl"),
                Map.entry("OPERATOR_PASSWORD", "op")));
        assertThat(c.clusterName()).isEqualTo("my-db");
        assertThat(c.region()).contains("ams");
        assertThat(c.primaryRegion()).contains("ams");
        assertThat(c.postgres().port()).isEqualTo(6433);
        assertThat(c.proxy().port()).isEqualTo(6432);
        assertThat(c.httpPort()).isEqualTo(6500);
        assertThat(c.metricsPort()).isEqualTo(6187);
        assertThat(c.store().embeddedPort()).isEqualTo(3181);
        assertThat(c.nodeId()).contains("node-1");
        assertThat(c.secrets().suPassword().orElseThrow().reveal()).isEqualTo("su secret");
        assertThat(c.secrets().replPassword().orElseThrow().reveal()).isEqualTo("repl");
        assertThat(c.secrets().operatorPassword().orElseThrow().reveal()).isEqualTo("op");
    }

    @Test
    void externalStoreSkipsEmbeddedChecks() {
        PghaConfig c = load(Map.of("PGHA_ZK_CONNECT", "zk1:2181,zk2:2181/pgha", "PGHA_ZK_PORT", "5432"));
        assertThat(c.store().connect()).contains("zk1:2181,zk2:2181/pgha");
        assertThat(c.store().embedded()).isFalse();
    }

    @Test
    void configFileInDataDirIsReadAndEnvironmentWins() throws IOException {
        Files.writeString(dir.resolve("pgha.conf"), "proxy.port = 7432\npostgres { port = 7433 }\n");
        PghaConfig fromFile = load(Map.of());
        assertThat(fromFile.proxy().port()).isEqualTo(7432);
        assertThat(fromFile.postgres().port()).isEqualTo(7433);
        PghaConfig envWins = load(Map.of("PG_PROXY_PORT", "8432"));
        assertThat(envWins.proxy().port()).isEqualTo(8432);
        assertThat(envWins.postgres().port()).isEqualTo(7433);
    }

    @Test
    void explicitConfigFileMustExist() {
        Path missing = dir.resolve("nope.conf");
        assertThatThrownBy(() -> ConfigLoader.load(Optional.of(missing), Map.of("PGHA_DATA_DIR", dir.toString())))
                .isInstanceOf(InvalidConfigException.class)
                .hasMessage("config file " + missing + " (--config) does not exist or is not a file");
    }

    /** Each row: environment variable, value, the exact one-line error. */
    @ParameterizedTest
    @CsvSource(delimiter = '|', textBlock = """
            PG_PORT          | abc       | PG_PORT="abc" is not valid for postgres.port: expected a TCP port number 1-65535
            PG_PORT          | 0         | PG_PORT="0" is not valid for postgres.port: expected a TCP port number 1-65535
            PG_PROXY_PORT    | 70000     | PG_PROXY_PORT="70000" is not valid for proxy.port: expected a TCP port number 1-65535
            PGHA_HTTP_PORT   | 5500x     | PGHA_HTTP_PORT="5500x" is not valid for http.port: expected a TCP port number 1-65535
            FLY_REGION       | AMS!      | FLY_REGION="AMS!" is not valid for region: expected a region name such as "ams" or "us-east-1": up to 32 lowercase letters, digits and '-' (not at either end)
            PRIMARY_REGION   | -ams      | PRIMARY_REGION="-ams" is not valid for primaryRegion: expected a region name such as "ams" or "us-east-1": up to 32 lowercase letters, digits and '-' (not at either end)
            FLY_APP_NAME     | My_DB     | FLY_APP_NAME="My_DB" is not valid for clusterName: expected a cluster name of up to 63 lowercase letters, digits and '-' (not at either end)
            PGHA_NODE_ID     | a/b       | PGHA_NODE_ID="a/b" is not valid for nodeId: expected a node id of up to 40 lowercase letters, digits and '-' (not at either end)
            PGHA_DATA_DIR    | data      | PGHA_DATA_DIR="data" is not valid for dataDir: expected an absolute path such as /data
            PGHA_TAGS        | nosync=1  | PGHA_TAGS="nosync=1" is not valid for tags: expected tags such as nofailover=true,nosync=true (tag nosync takes true or false)
            PGHA_ZK_CONNECT  | zk1       | PGHA_ZK_CONNECT="zk1" is not valid for store.connect: expected a ZooKeeper connect string host:port[,host:port...][/chroot]
            PGHA_JOIN        | a b       | PGHA_JOIN="a b" is not valid for store.join: expected a member's ZooKeeper address, host or host:port
            PGHA_VOTERS      | 4         | PGHA_VOTERS="4" is not valid for cluster.voters: expected 3 or 5 ZooKeeper voters (4 voters survive no more losses than 3)
            PGHA_VOTERS      | 7         | PGHA_VOTERS="7" is not valid for cluster.voters: expected 3 or 5 ZooKeeper voters
            PGHA_ZK_PEER_PORT | 0        | PGHA_ZK_PEER_PORT="0" is not valid for store.embedded.peerPort: expected a TCP port number 1-65535
            PGHA_PG_MEMORY   | lots      | PGHA_PG_MEMORY="lots" is not valid for postgres.memory: expected a size of at least 64MB, such as 512MB or 2GB
            PGHA_PG_MEMORY   | 1MB       | PGHA_PG_MEMORY="1MB" is not valid for postgres.memory: expected a size of at least 64MB, such as 512MB or 2GB
            PGHA_PG_BIN_DIR  | bin       | PGHA_PG_BIN_DIR="bin" is not valid for postgres.binDir: expected an absolute path such as /data
            PGHA_LOG_FORMAT  | yaml      | PGHA_LOG_FORMAT="yaml" is not valid for log.format: expected text or json
            PGHA_CHECK_DISK_MIN_FREE | 10% | PGHA_CHECK_DISK_MIN_FREE="10%" is not valid for health.diskMinFreePercent: expected a percentage between 0 and 100
            PGHA_CHECK_DISK_MIN_FREE | 101 | PGHA_CHECK_DISK_MIN_FREE="101" is not valid for health.diskMinFreePercent: expected a percentage between 0 and 100
            PGHA_DISK_FULL_PERCENT | 30 | PGHA_DISK_FULL_PERCENT="30" is not valid for postgres.diskFullPercent: expected a percentage of the data volume between 50 and 100
            PGHA_DEAD_MEMBER_REMOVAL | 1s | PGHA_DEAD_MEMBER_REMOVAL="1s" is not valid for cluster.deadMemberRemovalInterval: expected a duration between 5s and 8760h, such as 500ms, 2s or 5m
            """)
    void badEnvironmentValueNamesVariableKeyValueAndRule(String variable, String value, String message) {
        Map<String, String> env = new HashMap<>(Map.of(variable, value));
        env.putIfAbsent("PGHA_DATA_DIR", dir.toString());
        assertThatThrownBy(() -> ConfigLoader.load(Optional.empty(), env))
                .isInstanceOf(InvalidConfigException.class)
                .hasMessage(message);
    }

    /** Loads with {@code --config} naming a file with {@code content}; returns the file. */
    private Path customFile(String content) throws IOException {
        Path file = dir.resolve("custom.conf");
        Files.writeString(file, content);
        return file;
    }

    private PghaConfig loadWith(Path file) {
        return ConfigLoader.load(Optional.of(file), Map.of("PGHA_DATA_DIR", dir.toString()));
    }

    @Test
    void badFileValueNamesKeyFileAndLine() throws IOException {
        Path file = customFile("# tuning\nstore.sessionTimeout = forever\n");
        assertThatThrownBy(() -> loadWith(file))
                .hasMessage(
                        "store.sessionTimeout = \"forever\" in " + file + " line 2 is not valid: expected a duration "
                                + "between 500ms and 1m, such as 500ms, 2s or 5m");
    }

    @Test
    void unknownKeyInFileIsRefusedWithTheKnownOnes() throws IOException {
        Path file = customFile("proxy.prot = 6432\n");
        assertThatThrownBy(() -> loadWith(file))
                .hasMessage("unknown setting proxy.prot in " + file + " line 1; known settings under proxy: "
                        + "connectTimeout, holdTimeout, maxConnections, maxHeld, maxUnauthenticatedPerAddress, port, "
                        + "readOnlyMaxLag, readOnlyPort, threads");
    }

    @Test
    void prefixedKeysInFileAreExplained() throws IOException {
        Path file = customFile("pgha.proxy.port = 6432\n");
        assertThatThrownBy(() -> loadWith(file))
                .hasMessageContaining("write settings without the 'pgha.' prefix, e.g. proxy.port");
    }

    @Test
    void unparseableFileIsNamed() throws IOException {
        Path file = customFile("proxy {\n port = \n");
        assertThatThrownBy(() -> loadWith(file)).hasMessageStartingWith("cannot parse config file " + file + ": ");
    }

    @Test
    void samePortTwiceNamesBothVariables() {
        assertThatThrownBy(() -> load(Map.of("PG_PORT", "5432")))
                .hasMessage("proxy.port and PG_PORT are both 5432: every port pgha listens on must be different");
        assertThatThrownBy(() -> load(Map.of("PG_PORT", "6000", "PG_PROXY_PORT", "6000")))
                .hasMessage("PG_PROXY_PORT and PG_PORT are both 6000: every port pgha listens on must be different");
    }

    @Test
    void primaryRegionNeedsOwnRegion() {
        assertThatThrownBy(() -> load(Map.of("PRIMARY_REGION", "ams")))
                .hasMessage("PRIMARY_REGION is \"ams\" but this node has no region: set FLY_REGION (region) to the "
                        + "region it runs in");
    }

    @Test
    void sessionTimeoutMustFitZooKeeperTicks() throws IOException {
        Files.writeString(dir.resolve("pgha.conf"), "store.embedded.tickTime = 2s\n");
        assertThatThrownBy(() -> load(Map.of()))
                .hasMessage("store.sessionTimeout (2s) must be at least 2 ticks of store.embedded.tickTime (2s), "
                        + "as ZooKeeper grants no shorter session");
    }

    @Test
    void secretsNeverAppearInErrors() {
        String password = "hunter2\nsecond line";
        assertThatThrownBy(() -> load(Map.of("SU_PASSWORD", password)))
                .isInstanceOf(InvalidConfigException.class)
                .hasMessage("SU_PASSWORD (secrets.suPassword) must not contain line breaks or NUL characters")
                .hasMessageNotContaining("hunter2");
        PghaConfig ok = load(Map.of("SU_PASSWORD", "hunter2"));
        assertThat(ok.toString()).doesNotContain("hunter2");
    }

    private static final String ENSEMBLE =
            "1=10.0.0.1:2888:3888;2181,2=10.0.0.2:2888:3888;2181,3=10.0.0.3:2888:3888;127.0.0.1:2182";

    @Test
    void ensembleIsReadInZooKeepersOwnSyntax() {
        PghaConfig c = load(Map.of("PGHA_ZK_ENSEMBLE", ENSEMBLE, "PGHA_ZK_MYID", "2"));
        assertThat(c.store().quorum()).isTrue();
        assertThat(c.store().shared()).isTrue();
        assertThat(c.store().ensemble()).hasSize(3);
        assertThat(c.store().self().orElseThrow()).isEqualTo(new ZkPeer(2, "10.0.0.2", 2888, 3888, "0.0.0.0", 2181));
        assertThat(c.store().ensemble().get(2).clientAddress()).isEqualTo("127.0.0.1:2182");
        assertThat(c.store().ensemble().get(0).clientAddress()).isEqualTo("10.0.0.1:2181");
        assertThat(c.store().ensemble().get(0).serverLine()).isEqualTo("10.0.0.1:2888:3888:participant;0.0.0.0:2181");
        assertThat(c.cluster().synchronousMode()).isEqualTo("auto");
        assertThat(c.cluster().failTimeout()).isEqualTo(Duration.ofSeconds(10));
        assertThat(c.cluster().deadMemberRemovalInterval()).isEqualTo(Duration.ofHours(48));
        assertThat(c.postgres().diskFullPercent()).isEqualTo(90);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', textBlock = """
            1=10.0.0.1:2888:3888                                   | 2 | PGHA_ZK_ENSEMBLE="1=10.0.0.1:2888:3888" is not valid for store.ensemble: expected ZooKeeper's server syntax
            1=a:1:2;3,1=b:1:2;3,2=c:1:2;3                         | 1 | (id 1 is out of range or repeated)
            1=a:1:2;3,2=b:1:2;3                                     | 1 | PGHA_ZK_ENSEMBLE lists 2 peer(s): an ensemble needs at least 3 voters
            1=a:1:2;3,2=b:1:2;3,3=c:1:2;3                         | 4 | PGHA_ZK_MYID (4) does not name an entry of PGHA_ZK_ENSEMBLE
            1=a:1:2;3,2=b:1:2;3,3=c:1:2;70000                     | 1 | (port 70000 is not 1-65535)
            """)
    void badEnsemblesNameTheVariableAndTheRule(String ensemble, String myId, String message) {
        assertThatThrownBy(() -> load(Map.of("PGHA_ZK_ENSEMBLE", ensemble, "PGHA_ZK_MYID", myId)))
                .isInstanceOf(InvalidConfigException.class)
                .hasMessageContaining(message);
    }

    @Test
    void ensembleAndExternalStoreExcludeEachOther() {
        assertThatThrownBy(() ->
                        load(Map.of("PGHA_ZK_ENSEMBLE", ENSEMBLE, "PGHA_ZK_MYID", "1", "PGHA_ZK_CONNECT", "zk:2181")))
                .hasMessage("PGHA_ZK_CONNECT and PGHA_ZK_ENSEMBLE are both set: use an external ZooKeeper or the "
                        + "embedded ensemble, not both");
        assertThatThrownBy(() -> load(Map.of("PGHA_ZK_MYID", "1")))
                .hasMessageContaining("PGHA_ZK_MYID is set but PGHA_ZK_ENSEMBLE (store.ensemble) is empty");
    }

    @Test
    void joiningGoesWithTheEmbeddedStoreOnly() {
        assertThatThrownBy(() -> load(Map.of("PGHA_JOIN", "10.0.0.1", "PGHA_ZK_CONNECT", "zk:2181")))
                .hasMessage(
                        "PGHA_JOIN adds this node to the members' embedded ZooKeeper, but PGHA_ZK_CONNECT names an "
                                + "external one: on an external ZooKeeper a new node joins by connecting to it; unset PGHA_JOIN");
        assertThatThrownBy(
                        () -> load(Map.of("PGHA_JOIN", "10.0.0.1", "PGHA_ZK_ENSEMBLE", ENSEMBLE, "PGHA_ZK_MYID", "1")))
                .hasMessageContaining("PGHA_JOIN and PGHA_ZK_ENSEMBLE are both set");
        PghaConfig c = load(Map.of("PGHA_JOIN", "[fdaa::3]:2181", "PGHA_VOTERS", "5"));
        assertThat(c.store().join()).contains("[fdaa::3]:2181");
        assertThat(c.store().voters()).isEqualTo(5);
        assertThat(c.store().shared()).isTrue();
        PghaConfig single = load(Map.of());
        assertThat(single.embeddedStoreHost(Map.of())).isEqualTo("127.0.0.1");
        assertThat(single.embeddedStoreHost(Map.of("FLY_PRIVATE_IP", "fdaa::5")))
                .isEqualTo("fdaa::5");
        assertThat(single.embeddedStoreServer(1, Map.of("FLY_PRIVATE_IP", "fdaa::5"))
                        .serverLine())
                .isEqualTo("[fdaa::5]:2888:3888:participant;[fdaa::5]:2181");
    }

    @Test
    void synchronousModeIsOnOffOrAuto() {
        assertThat(load(Map.of("PGHA_SYNCHRONOUS_MODE", "off")).cluster().synchronousMode())
                .isEqualTo("off");
        assertThatThrownBy(() -> load(Map.of("PGHA_SYNCHRONOUS_MODE", "yes")))
                .hasMessage(
                        "PGHA_SYNCHRONOUS_MODE=\"yes\" is not valid for cluster.synchronousMode: expected on, off or auto");
    }

    @Test
    void maximumLagOnFailoverIsASizeOneMegabyteByDefault() {
        assertThat(load(Map.of()).cluster().maximumLagOnFailover()).isEqualTo(1_000_000);
        assertThat(load(Map.of("PGHA_MAXIMUM_LAG_ON_FAILOVER", "16MB"))
                        .cluster()
                        .maximumLagOnFailover())
                .isEqualTo(16_000_000);
        assertThat(load(Map.of("PGHA_MAXIMUM_LAG_ON_FAILOVER", "0")).cluster().maximumLagOnFailover())
                .isZero();
        assertThatThrownBy(() -> load(Map.of("PGHA_MAXIMUM_LAG_ON_FAILOVER", "lots")))
                .hasMessage("PGHA_MAXIMUM_LAG_ON_FAILOVER=\"lots\" is not valid for cluster.maximumLagOnFailover: "
                        + "expected a size in bytes, such as 1MB or 16MB (0 for none)");
        assertThatThrownBy(() -> load(Map.of("PGHA_MAXIMUM_LAG_ON_FAILOVER", "-1MB")))
                .hasMessageContaining("cluster.maximumLagOnFailover");
    }
}
