package dev.pgha.common.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Every environment variable pgha reads, in one place: those that override configuration keys ({@link #VARIABLES})
 * and the few read as they are (the constants below). Fly's names are kept so a Fly Postgres user's environment
 * works unchanged. Each overriding variable becomes a config layer whose origin names the variable, so a bad value is
 * reported as coming from it.
 */
public final class EnvOverrides {
    /** Variable name to config path (relative to {@code pgha}). */
    public static final Map<String, String> VARIABLES;

    static {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("FLY_APP_NAME", "clusterName");
        m.put("PGHA_NODE_ID", "nodeId");
        m.put("FLY_REGION", "region");
        m.put("PRIMARY_REGION", "primaryRegion");
        m.put("PGHA_TAGS", "tags");
        m.put("PGHA_DATA_DIR", "dataDir");
        m.put("PGHA_ADVERTISE_HOST", "advertiseHost");
        m.put("PG_PORT", "postgres.port");
        m.put("PGHA_PG_BIN_DIR", "postgres.binDir");
        m.put("PGHA_PG_MEMORY", "postgres.memory");
        m.put("PG_PROXY_PORT", "proxy.port");
        m.put("PGHA_READONLY_PORT", "proxy.readOnlyPort");
        m.put("PGHA_PROXY_MAX_UNAUTHENTICATED", "proxy.maxUnauthenticatedPerAddress");
        m.put("PGHA_HTTP_PORT", "http.port");
        m.put("PGHA_METRICS_PORT", "metrics.port");
        m.put("PGHA_CHECK_DISK_MIN_FREE", "health.diskMinFreePercent");
        m.put("PGHA_LOG_FORMAT", "log.format");
        m.put("PGHA_STOP_TIMEOUT", "lifecycle.stopTimeout");
        m.put("PGHA_SCALE_TO_ZERO", "lifecycle.scaleToZero");
        m.put("PGHA_ZK_CONNECT", "store.connect");
        m.put("PGHA_ZK_PORT", "store.embedded.port");
        m.put("PGHA_ZK_ENSEMBLE", "store.ensemble");
        m.put("PGHA_ZK_MYID", "store.myId");
        m.put("PGHA_ZK_PEER_PORT", "store.embedded.peerPort");
        m.put("PGHA_ZK_ELECTION_PORT", "store.embedded.electionPort");
        m.put("PGHA_ZK_HOST", "store.embedded.host");
        m.put("PGHA_JOIN", "store.join");
        m.put("PGHA_VOTERS", "cluster.voters");
        m.put("PGHA_SYNCHRONOUS_MODE", "cluster.synchronousMode");
        m.put("PGHA_SYNCHRONOUS_STANDBYS", "cluster.synchronousStandbys");
        m.put("PGHA_MAXIMUM_LAG_ON_FAILOVER", "cluster.maximumLagOnFailover");
        m.put("PGHA_DEAD_MEMBER_REMOVAL", "cluster.deadMemberRemovalInterval");
        m.put("PGHA_FAILSAFE", "cluster.failsafe");
        m.put("PGHA_STORE_REALTIME", "store.realtimeThreads");
        m.put("PGHA_CALLBACK_ON_START", "cluster.callbacks.onStart");
        m.put("PGHA_CALLBACK_ON_STOP", "cluster.callbacks.onStop");
        m.put("PGHA_CALLBACK_ON_ROLE_CHANGE", "cluster.callbacks.onRoleChange");
        m.put("PGHA_CALLBACK_TIMEOUT", "cluster.callbacks.timeout");
        m.put("PGHA_CALLBACK_USER", "cluster.callbacks.user");
        m.put("PGHA_DISK_FULL_PERCENT", "postgres.diskFullPercent");
        m.put("PGHA_PG_LISTEN_ADDRESSES", "postgres.listenAddresses");
        m.put("PGHA_REQUIRE_TLS", "postgres.requireTls");
        m.put("SU_PASSWORD", "secrets.suPassword");
        m.put("REPL_PASSWORD", "secrets.replPassword");
        m.put("OPERATOR_PASSWORD", "secrets.operatorPassword");
        m.put("PGHA_STORE_SECRET", "secrets.storeSecret");
        m.put("PGHA_SHOW_CREDENTIALS", "secrets.showCredentials");
        m.put("PGHA_TLS_CERT_FILE", "tls.certFile");
        m.put("PGHA_TLS_KEY_FILE", "tls.keyFile");
        m.put("PGHA_TLS_CA_FILE", "tls.caFile");
        m.put("PGHA_BACKUP_PATH", "backup.path");
        m.put("PGHA_BACKUP_S3_ENDPOINT", "backup.s3.endpoint");
        m.put("PGHA_BACKUP_S3_BUCKET", "backup.s3.bucket");
        m.put("PGHA_BACKUP_S3_REGION", "backup.s3.region");
        m.put("PGHA_BACKUP_S3_KEY", "backup.s3.key");
        m.put("PGHA_BACKUP_S3_SECRET", "backup.s3.secret");
        m.put("PGHA_BACKUP_S3_PATH", "backup.s3.path");
        m.put("PGHA_BACKUP_S3_CA_FILE", "backup.s3.caFile");
        m.put("PGHA_BACKUP_S3_URI_STYLE", "backup.s3.uriStyle");
        m.put("PGHA_BACKUP_CIPHER_PASS", "backup.cipherPass");
        m.put("PGHA_BACKUP_SCHEDULE", "backup.schedule");
        m.put("PGHA_BACKUP_RETENTION_FULL", "backup.retentionFull");
        m.put("PGHA_BACKUP_ARCHIVE_QUEUE_MAX", "backup.archiveQueueMax");
        m.put("PGHA_BACKUP_ARCHIVE_MAX_AGE", "backup.archiveMaxAge");
        m.put("PGHA_RESTORE_FROM", "restore.from");
        m.put("PGHA_RESTORE_TARGET_TIME", "restore.targetTime");
        m.put("PGHA_RESTORE_TARGET_NAME", "restore.targetName");
        m.put("PGHA_RESTORE_TARGET_LSN", "restore.targetLsn");
        VARIABLES = Collections.unmodifiableMap(m);
    }

    /** Fly's private address: how other members reach this one when PGHA_ADVERTISE_HOST is not set. */
    public static final String FLY_PRIVATE_IP = "FLY_PRIVATE_IP";

    /** The host name: the base of a generated member id. */
    public static final String HOSTNAME = "HOSTNAME";

    /** Fly's VM memory: what postgres is tuned for when there is no cgroup limit and postgres.memory is not set. */
    public static final String FLY_VM_MEMORY_MB = "FLY_VM_MEMORY_MB";

    private static final String ORIGIN_PREFIX = "environment variable ";

    private EnvOverrides() {}

    /** The overrides present in {@code env}, one layer per variable. */
    public static Config from(Map<String, String> env) {
        Config merged = ConfigFactory.empty();
        for (Map.Entry<String, String> e : VARIABLES.entrySet()) {
            String value = env.get(e.getKey());
            if (value != null) {
                merged = ConfigFactory.parseMap(Map.of(e.getValue(), value), ORIGIN_PREFIX + e.getKey())
                        .withFallback(merged);
            }
        }
        return merged;
    }

    /** The variable that overrides {@code path}, if any. */
    public static Optional<String> variableFor(String path) {
        return VARIABLES.entrySet().stream()
                .filter(e -> e.getValue().equals(path))
                .map(Map.Entry::getKey)
                .findFirst();
    }

    /** How a user names the setting at {@code path} in a message: its variable, else the key. */
    public static String label(String path) {
        return variableFor(path).orElse(path);
    }
}
