package dev.pgha.common.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigSyntax;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;
import dev.pgha.common.model.MemberTags;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * Builds a {@link PghaConfig} from three layers, strongest first: environment variables ({@link EnvOverrides}),
 * the config file ({@code --config FILE}, else {@code $PGHA_DATA_DIR/pgha.conf} when it exists), and
 * {@code reference.conf}. Everything is validated here, up front, so a daemon never starts half-configured.
 */
public final class ConfigLoader {
    public static final String FILE_NAME = "pgha.conf";

    /** DNS-label-like names: they end up in ZooKeeper paths, host names, application_name and slot names. */
    private static final Pattern LISTEN_ADDRESSES = Pattern.compile("\\*|[A-Za-z0-9.:%-]+( *, *[A-Za-z0-9.:%-]+)*");

    private static final Pattern NAME = Pattern.compile("[a-z0-9]([a-z0-9-]*[a-z0-9])?");

    private static final Pattern HOST = Pattern.compile("[A-Za-z0-9]([A-Za-z0-9.:-]*[A-Za-z0-9])?");
    /** A member's ZooKeeper client address: a host, or host:port ([address]:port for IPv6). */
    private static final Pattern JOIN = Pattern.compile("(\\[[0-9A-Fa-f:.]+\\]|[A-Za-z0-9][A-Za-z0-9.-]*)(:\\d{1,5})?");

    private static final Pattern CONNECT =
            Pattern.compile("[A-Za-z0-9.:\\[\\]-]+:\\d+(,[A-Za-z0-9.:\\[\\]-]+:\\d+)*(/[A-Za-z0-9/_.-]*)?");
    private static final Pattern OS_USER = Pattern.compile("[a-z_][a-z0-9_-]*");
    private static final Pattern LOG_FORMAT = Pattern.compile("text|json");

    private ConfigLoader() {}

    /** Loads the configuration of a daemon started with {@code configFile} (from --config, may be empty). */
    public static PghaConfig load(Optional<Path> configFile, Map<String, String> env) {
        Config reference = reference();
        Config envLayer = EnvOverrides.from(env);
        Config fileLayer = fileLayer(configFile, envLayer.withFallback(reference), reference);
        Config merged = envLayer.withFallback(fileLayer).withFallback(reference).resolve();
        return validate(new Settings(merged));
    }

    static Config reference() {
        return ConfigFactory.parseResources(ConfigLoader.class.getClassLoader(), "reference.conf")
                .resolve()
                .getConfig("pgha");
    }

    private static Config fileLayer(Optional<Path> explicit, Config envAndDefaults, Config reference) {
        Path file;
        if (explicit.isPresent()) {
            file = explicit.get().toAbsolutePath();
            if (!Files.isRegularFile(file)) {
                throw new InvalidConfigException("config file " + file + " (--config) does not exist or is not a file");
            }
        } else {
            String dataDir = envAndDefaults.getString("dataDir");
            if (dataDir.isBlank() || !Path.of(dataDir).isAbsolute()) {
                return ConfigFactory.empty(); // reported by validation with the key's name
            }
            file = Path.of(dataDir).resolve(FILE_NAME);
            if (!Files.isRegularFile(file)) {
                return ConfigFactory.empty();
            }
        }
        if (!Files.isReadable(file)) {
            throw new InvalidConfigException("config file " + file + " is not readable");
        }
        Config parsed;
        try {
            parsed = ConfigFactory.parseFile(
                    file.toFile(),
                    ConfigParseOptions.defaults().setSyntax(ConfigSyntax.CONF).setAllowMissing(false));
        } catch (ConfigException e) {
            throw new InvalidConfigException("cannot parse config file " + file + ": " + e.getMessage());
        }
        rejectUnknownKeys(parsed, reference, file);
        return parsed;
    }

    private static void rejectUnknownKeys(Config file, Config reference, Path source) {
        for (Map.Entry<String, ConfigValue> e : file.entrySet()) {
            String key = e.getKey();
            String at = Settings.fileLocation(e.getValue().origin());
            if (at.isEmpty()) {
                at = " in " + source;
            }
            if (key.startsWith("pgha.")) {
                throw new InvalidConfigException("setting " + key + at
                        + ": write settings without the 'pgha.' prefix, e.g. " + key.substring("pgha.".length()));
            }
            if (!knownPath(reference, key)) {
                throw new InvalidConfigException("unknown setting " + key + at + "; known settings"
                        + parentOf(key).map(p -> " under " + p).orElse("") + ": " + knownSiblings(reference, key));
            }
            if (reference.getValue(key).valueType() == ConfigValueType.OBJECT) {
                throw new InvalidConfigException("setting " + key + at + " is a section; set the keys inside it, e.g. "
                        + key + "." + knownChildren(reference, key).first());
            }
        }
    }

    private static boolean knownPath(Config reference, String key) {
        try {
            return reference.hasPathOrNull(key);
        } catch (ConfigException e) {
            return false;
        }
    }

    private static Optional<String> parentOf(String key) {
        int dot = key.lastIndexOf('.');
        return dot < 0 ? Optional.empty() : Optional.of(key.substring(0, dot));
    }

    private static String knownSiblings(Config reference, String key) {
        Optional<String> parent = parentOf(key);
        while (parent.isPresent() && !knownPath(reference, parent.get())) {
            parent = parentOf(parent.get());
        }
        return String.join(
                ", ",
                parent.isPresent()
                        ? knownChildren(reference, parent.get())
                        : new TreeSet<>(reference.root().keySet()));
    }

    private static TreeSet<String> knownChildren(Config reference, String key) {
        return new TreeSet<>(reference.getConfig(key).root().keySet());
    }

    private static PghaConfig validate(Settings s) {
        String nameRule = "lowercase letters, digits and '-' (not at either end)";
        String clusterName = s.matching("clusterName", NAME, 63, "a cluster name of up to 63 " + nameRule);
        Optional<String> nodeId = s.optionalMatching("nodeId", NAME, 40, "a node id of up to 40 " + nameRule);
        String regionRule = "a region name such as \"ams\" or \"us-east-1\": up to 32 " + nameRule;
        Optional<String> region = s.optionalMatching("region", NAME, 32, regionRule);
        Optional<String> primaryRegion = s.optionalMatching("primaryRegion", NAME, 32, regionRule);
        var dataDir = s.absolutePath("dataDir");
        Optional<String> advertiseHost = s.optionalMatching("advertiseHost", HOST, 253, "a host name or IP address");

        var postgres = new PghaConfig.Postgres(
                s.port("postgres.port"),
                s.optionalAbsolutePath("postgres.binDir"),
                s.absolutePath("postgres.installRoot"),
                s.matching("postgres.osUser", OS_USER, 32, "an OS user name such as postgres"),
                s.size("postgres.memory", 64L << 20),
                s.integer("postgres.maxConnections", 10, 10_000, "a number of connections between 10 and 10000"),
                s.duration("postgres.stopTimeout", Duration.ofSeconds(1), Duration.ofHours(1)),
                s.duration("postgres.startTimeout", Duration.ofSeconds(10), Duration.ofHours(24)),
                s.integer("postgres.diskFullPercent", 50, 100, "a percentage of the data volume between 50 and 100"),
                s.matching(
                        "postgres.listenAddresses",
                        LISTEN_ADDRESSES,
                        1000,
                        "\"*\" or a comma-separated list of host names and IP addresses"),
                s.bool("postgres.requireTls"));
        int readOnlyPort = s.integer("proxy.readOnlyPort", 0, 65535, "a TCP port number 1-65535, or 0 for none");
        var proxy = new PghaConfig.Proxy(
                s.port("proxy.port"),
                s.duration("proxy.connectTimeout", Duration.ofMillis(100), Duration.ofMinutes(1)),
                s.integer("proxy.threads", 0, 256, "a thread count between 0 (one per core) and 256"),
                RuntimeSettings.holdTimeout(s),
                s.integer("proxy.maxHeld", 0, 1_000_000, "a number of connections between 0 and 1000000"),
                s.integer("proxy.maxConnections", 1, 1_000_000, "a number of connections between 1 and 1000000"),
                s.integer(
                        "proxy.maxUnauthenticatedPerAddress",
                        1,
                        1_000_000,
                        "a number of connections between 1 and 1000000"),
                readOnlyPort,
                s.requiredSize("proxy.readOnlyMaxLag", 0));
        int httpPort = s.port("http.port");
        int metricsPort = s.port("metrics.port");
        var health = new PghaConfig.Health(
                s.duration("health.checkTimeout", Duration.ofMillis(100), Duration.ofMinutes(1)),
                s.integer("health.diskMinFreePercent", 0, 100, "a percentage between 0 and 100"),
                s.integer("health.maxLoadPerCore", 1, 1000, "a load per core between 1 and 1000"),
                s.integer("health.maxPressurePercent", 1, 100, "a percentage between 1 and 100"),
                s.duration("health.maxReplicationLag", Duration.ofMillis(1), Duration.ofDays(1)),
                s.requiredSize("health.maxReplicationLagBytes", 0));
        String logFormat = s.matching("log.format", LOG_FORMAT, 4, "text or json");
        var lifecycle = new PghaConfig.Lifecycle(
                s.duration("lifecycle.stopTimeout", Duration.ofSeconds(10), Duration.ofHours(1)),
                s.duration("lifecycle.scaleToZero", Duration.ZERO, Duration.ofDays(30)));
        var store = new PghaConfig.Store(
                s.optionalMatching(
                        "store.connect", CONNECT, 4096, "a ZooKeeper connect string host:port[,host:port...][/chroot]"),
                Ensemble.parse(s, "store.ensemble"),
                s.integer("store.myId", 0, 255, "the id (1-255) of this node's entry in PGHA_ZK_ENSEMBLE"),
                s.duration("store.sessionTimeout", Duration.ofMillis(500), Duration.ofMinutes(1)),
                s.duration("store.connectTimeout", Duration.ofSeconds(1), Duration.ofMinutes(10)),
                s.port("store.embedded.port"),
                s.port("store.embedded.peerPort"),
                s.port("store.embedded.electionPort"),
                s.optionalMatching("store.embedded.host", HOST, 253, "a host name or IP address to listen on")
                        .orElse(""),
                s.duration("store.embedded.tickTime", Duration.ofMillis(10), Duration.ofSeconds(5)),
                s.optionalMatching("store.join", JOIN, 300, "a member's ZooKeeper address, host or host:port"),
                voters(s),
                s.bool("store.realtimeThreads"));
        Duration heartbeat = s.duration("keeper.heartbeat", Duration.ofMillis(50), Duration.ofSeconds(10));
        Duration sentinelInterval = s.duration("sentinel.interval", Duration.ofMillis(50), Duration.ofSeconds(10));
        String syncMode = RuntimeSettings.synchronousMode(s);
        PghaConfig.Backup backup = BackupConfig.read(s, clusterName);
        var cluster = new PghaConfig.Cluster(
                syncMode,
                RuntimeSettings.synchronousStrict(s),
                RuntimeSettings.synchronousStandbys(s),
                RuntimeSettings.failTimeout(s),
                s.duration("cluster.deadMemberRemovalInterval", Duration.ofSeconds(5), Duration.ofDays(365)),
                s.bool("cluster.failsafe"),
                RuntimeSettings.maximumLagOnFailover(s),
                new PghaConfig.Callbacks(
                        executable(s, "cluster.callbacks.onStart"),
                        executable(s, "cluster.callbacks.onStop"),
                        executable(s, "cluster.callbacks.onRoleChange"),
                        s.duration("cluster.callbacks.timeout", Duration.ofSeconds(1), Duration.ofHours(1)),
                        s.optionalMatching("cluster.callbacks.user", OS_USER, 32, "an OS user name such as postgres")));
        var secrets = new PghaConfig.Secrets(
                s.secret("secrets.suPassword"),
                s.secret("secrets.replPassword"),
                s.secret("secrets.operatorPassword"),
                s.secret("secrets.storeSecret"),
                s.bool("secrets.showCredentials"));

        if (primaryRegion.isPresent() && region.isEmpty()) {
            throw new InvalidConfigException(s.label("primaryRegion") + " is \"" + primaryRegion.get()
                    + "\" but this node has no region: set FLY_REGION (region) to the region it runs in");
        }
        Map<Integer, String> ports = new HashMap<>();
        distinctPort(s, ports, "proxy.port");
        if (readOnlyPort != 0) {
            distinctPort(s, ports, "proxy.readOnlyPort");
        }
        distinctPort(s, ports, "postgres.port");
        distinctPort(s, ports, "http.port");
        distinctPort(s, ports, "metrics.port");
        Ensemble.check(s, store);
        if (store.embedded() && !store.quorum()) {
            distinctPort(s, ports, "store.embedded.port");
            distinctPort(s, ports, "store.embedded.peerPort");
            distinctPort(s, ports, "store.embedded.electionPort");
        }
        if (store.embedded()) {
            long tick = store.embeddedTickTime().toMillis();
            long session = store.sessionTimeout().toMillis();
            if (session < 2 * tick) {
                throw new InvalidConfigException("store.sessionTimeout (" + Durations.format(store.sessionTimeout())
                        + ") must be at least 2 ticks of store.embedded.tickTime ("
                        + Durations.format(store.embeddedTickTime())
                        + "), as ZooKeeper grants no shorter session");
            }
        }
        if (!lifecycle.scaleToZero().isZero()
                && (store.quorum() || store.connect().isPresent())) {
            throw new InvalidConfigException(
                    s.label("lifecycle.scaleToZero") + " stops an idle single-node cluster, but "
                            + "this node belongs to a multi-node cluster ("
                            + (store.quorum() ? "PGHA_ZK_ENSEMBLE" : "PGHA_ZK_CONNECT")
                            + "); unset it");
        }
        if (lifecycle.stopTimeout().compareTo(postgres.stopTimeout().plusSeconds(5)) < 0) {
            throw new InvalidConfigException(
                    s.label("lifecycle.stopTimeout") + " (" + Durations.format(lifecycle.stopTimeout())
                            + ") must leave room for postgres.stopTimeout (" + Durations.format(postgres.stopTimeout())
                            + ") plus 5s");
        }
        if (heartbeat.compareTo(store.sessionTimeout()) >= 0) {
            throw new InvalidConfigException("keeper.heartbeat (" + Durations.format(heartbeat)
                    + ") must be shorter than store.sessionTimeout (" + Durations.format(store.sessionTimeout()) + ")");
        }
        return new PghaConfig(
                clusterName,
                nodeId,
                region,
                primaryRegion,
                tags(s),
                dataDir,
                advertiseHost,
                postgres,
                proxy,
                httpPort,
                metricsPort,
                health,
                lifecycle,
                logFormat,
                store,
                heartbeat,
                sentinelInterval,
                cluster,
                secrets,
                tls(s),
                backup);
    }

    private static MemberTags tags(Settings s) {
        String text = s.string("tags");
        try {
            return MemberTags.parse(text);
        } catch (IllegalArgumentException e) {
            throw s.invalid("tags", "tags such as nofailover=true,nosync=true (" + e.getMessage() + ")");
        }
    }

    /** All three certificate files, or none; each must be a readable file. */
    private static Optional<PghaConfig.Tls> tls(Settings s) {
        List<String> keys = List.of("tls.certFile", "tls.keyFile", "tls.caFile");
        List<Optional<Path>> files = keys.stream().map(s::optionalAbsolutePath).toList();
        long given = files.stream().filter(Optional::isPresent).count();
        if (given == 0) {
            return Optional.empty();
        }
        for (int i = 0; i < keys.size(); i++) {
            if (files.get(i).isEmpty()) {
                throw new InvalidConfigException(EnvOverrides.label(keys.get(i)) + " is not set: give all three of "
                        + EnvOverrides.label("tls.certFile") + ", " + EnvOverrides.label("tls.keyFile") + " and "
                        + EnvOverrides.label("tls.caFile") + ", or none");
            }
            if (!Files.isRegularFile(files.get(i).get())
                    || !Files.isReadable(files.get(i).get())) {
                throw new InvalidConfigException(
                        s.label(keys.get(i)) + "=" + files.get(i).get() + " is not a readable file");
            }
        }
        return Optional.of(new PghaConfig.Tls(
                files.get(0).get(), files.get(1).get(), files.get(2).get()));
    }

    /** An executable file, or nothing when the setting is empty. */
    /** An odd voter count that survives the loss of one (3) or two (5) voters. */
    private static int voters(Settings s) {
        int voters = s.integer("cluster.voters", 3, 5, "3 or 5 ZooKeeper voters");
        if (voters == 4) {
            throw s.invalid("cluster.voters", "3 or 5 ZooKeeper voters (4 voters survive no more losses than 3)");
        }
        return voters;
    }

    private static Optional<Path> executable(Settings s, String key) {
        Optional<Path> file = s.optionalAbsolutePath(key);
        if (file.isPresent() && !(Files.isRegularFile(file.get()) && Files.isExecutable(file.get()))) {
            throw new InvalidConfigException(
                    s.label(key) + "=" + file.get() + " is not an executable file: give the absolute path of one");
        }
        return file;
    }

    private static void distinctPort(Settings s, Map<Integer, String> taken, String path) {
        int port = s.port(path);
        String previous = taken.putIfAbsent(port, path);
        if (previous != null) {
            throw new InvalidConfigException(s.label(previous) + " and " + s.label(path) + " are both " + port
                    + ": every port pgha listens on must be different");
        }
    }
}
