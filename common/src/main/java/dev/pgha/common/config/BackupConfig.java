package dev.pgha.common.config;

import dev.pgha.common.backup.BackupRepository;
import dev.pgha.common.backup.RecoveryTarget;
import dev.pgha.common.backup.ScheduledBackup;
import dev.pgha.common.secret.Secret;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/** Reads and checks the backup.* and restore.* settings. */
final class BackupConfig {
    private static final Pattern ENDPOINT = Pattern.compile("[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?(:\\d{1,5})?");
    private static final Pattern BUCKET = Pattern.compile("[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]");
    private static final Pattern REGION = Pattern.compile("[A-Za-z0-9][A-Za-z0-9-]*");
    private static final Pattern S3_PATH = Pattern.compile("/[A-Za-z0-9/_.-]*");
    private static final Pattern URI_STYLE = Pattern.compile("host|path");
    private static final Pattern LSN = Pattern.compile("[0-9A-Fa-f]{1,8}/[0-9A-Fa-f]{1,8}");
    private static final Pattern RESTORE_POINT = Pattern.compile("[A-Za-z0-9_.:-]{1,63}");
    private static final Pattern CLUSTER = Pattern.compile("[a-z0-9]([a-z0-9-]*[a-z0-9])?");

    private BackupConfig() {}

    static PghaConfig.Backup read(Settings s, String clusterName) {
        Optional<BackupRepository> repository = repository(s);
        Optional<Secret> cipher = s.secret("backup.cipherPass");
        String scheduleText = s.string("backup.schedule");
        List<ScheduledBackup> schedule = ScheduledBackup.parse(scheduleText)
                .orElseThrow(() -> s.invalid(
                        "backup.schedule",
                        "a comma-separated list of \"<hourly|daily|weekly> <full|diff|incr>\", e.g. \"daily full,"
                                + " hourly incr\""));
        int retention = s.integer("backup.retentionFull", 1, 1000, "a number of full backups to keep, 1 to 1000");
        long queueMax = s.requiredSize("backup.archiveQueueMax", 16L << 20);
        Duration maxAge = s.duration("backup.archiveMaxAge", Duration.ofSeconds(1), Duration.ofDays(7));
        Optional<PghaConfig.Restore> restore = restore(s, clusterName);
        String needsRepository = " needs a backup repository: set PGHA_BACKUP_PATH or PGHA_BACKUP_S3_ENDPOINT (with"
                + " _BUCKET, _REGION, _KEY and _SECRET)";
        if (repository.isEmpty()) {
            if (cipher.isPresent()) {
                throw new InvalidConfigException(s.label("backup.cipherPass") + needsRepository);
            }
            if (!schedule.isEmpty()) {
                throw new InvalidConfigException(s.label("backup.schedule") + needsRepository);
            }
            if (restore.isPresent()) {
                throw new InvalidConfigException(s.label("restore.from") + needsRepository
                        + ": the repository that holds cluster " + restore.get().fromCluster() + "'s backups");
            }
        }
        return new PghaConfig.Backup(repository, cipher, schedule, retention, queueMax, maxAge, restore);
    }

    private static Optional<BackupRepository> repository(Settings s) {
        Optional<Path> path = s.optionalAbsolutePath("backup.path");
        Optional<String> endpoint =
                s.optionalMatching("backup.s3.endpoint", ENDPOINT, 253, "a host name, optionally with :port");
        if (path.isPresent() && endpoint.isPresent()) {
            throw new InvalidConfigException(s.label("backup.path") + " and " + s.label("backup.s3.endpoint")
                    + " are both set: choose one repository");
        }
        if (path.isPresent()) {
            return Optional.of(new BackupRepository.Filesystem(path.get()));
        }
        List<String> s3Keys = List.of(
                "backup.s3.bucket", "backup.s3.region", "backup.s3.key", "backup.s3.secret", "backup.s3.caFile");
        if (endpoint.isEmpty()) {
            for (String key : s3Keys) {
                if (!s.string(key).isEmpty()) {
                    throw new InvalidConfigException(s.label(key) + " is set but "
                            + EnvOverrides.label("backup.s3.endpoint") + " is not: give the endpoint too, or unset it");
                }
            }
            return Optional.empty();
        }
        List<String> missing = new ArrayList<>();
        for (String key : s3Keys.subList(0, 4)) {
            if (s.string(key).isEmpty()) {
                missing.add(EnvOverrides.label(key));
            }
        }
        if (!missing.isEmpty()) {
            throw new InvalidConfigException("an S3 repository (" + s.label("backup.s3.endpoint") + ") also needs "
                    + String.join(", ", missing));
        }
        Optional<Path> ca = s.optionalAbsolutePath("backup.s3.caFile");
        if (ca.isPresent() && !(Files.isRegularFile(ca.get()) && Files.isReadable(ca.get()))) {
            throw new InvalidConfigException(s.label("backup.s3.caFile") + "=" + ca.get() + " is not a readable file");
        }
        return Optional.of(new BackupRepository.S3(
                endpoint.get(),
                s.matching(
                        "backup.s3.bucket", BUCKET, 63, "an S3 bucket name (3-63 lowercase letters, digits, '.', '-')"),
                s.matching("backup.s3.region", REGION, 64, "a region such as us-east-1"),
                s.secret("backup.s3.key").orElseThrow(),
                s.secret("backup.s3.secret").orElseThrow(),
                s.matching(
                        "backup.s3.path", S3_PATH, 512, "a path inside the bucket starting with /, e.g. /pgbackrest"),
                ca,
                s.matching("backup.s3.uriStyle", URI_STYLE, 4, "host or path").equals("path")));
    }

    private static Optional<PghaConfig.Restore> restore(Settings s, String clusterName) {
        Optional<String> from = s.optionalMatching(
                "restore.from", CLUSTER, 63, "the name of the cluster whose backups to restore (its FLY_APP_NAME)");
        Map<String, RecoveryTarget.Kind> keys = Map.of(
                "restore.targetTime", RecoveryTarget.Kind.TIME,
                "restore.targetName", RecoveryTarget.Kind.NAME,
                "restore.targetLsn", RecoveryTarget.Kind.LSN);
        List<String> given = keys.keySet().stream()
                .filter(k -> !s.string(k).isEmpty())
                .sorted()
                .toList();
        if (given.size() > 1) {
            throw new InvalidConfigException(
                    given.stream()
                                    .map(s::label)
                                    .reduce((a, b) -> a + " and " + b)
                                    .orElseThrow() + " are both set: give at most one restore target");
        }
        if (from.isEmpty()) {
            if (!given.isEmpty()) {
                throw new InvalidConfigException(s.label(given.get(0)) + " is set but "
                        + EnvOverrides.label("restore.from") + " is not: name the cluster to restore from");
            }
            return Optional.empty();
        }
        if (from.get().equals(clusterName)) {
            throw new InvalidConfigException(s.label("restore.from") + "=" + from.get()
                    + " names this cluster: a restored cluster starts a new archive under its own name, so give it"
                    + " another FLY_APP_NAME (clusterName) than the cluster it restores from");
        }
        RecoveryTarget target = RecoveryTarget.latest();
        if (!given.isEmpty()) {
            String key = given.get(0);
            RecoveryTarget.Kind kind = keys.get(key);
            String value = s.string(key);
            target = switch (kind) {
                case TIME -> RecoveryTarget.of(kind, time(s, key, value));
                case NAME ->
                    RecoveryTarget.of(
                            kind,
                            s.matching(key, RESTORE_POINT, 63, "a restore point name (letters, digits, _ . : -)"));
                case LSN ->
                    RecoveryTarget.of(
                            kind,
                            s.matching(key, LSN, 17, "a WAL position such as 0/3000060")
                                    .toUpperCase());
                case LATEST -> RecoveryTarget.latest();
            };
        }
        return Optional.of(new PghaConfig.Restore(from.get(), target));
    }

    private static String time(Settings s, String key, String value) {
        return RecoveryTarget.normalizeTime(value)
                .orElseThrow(() -> s.invalid(
                        key, "a time with its zone, such as \"2026-11-29 10:15:00+00\" or \"2026-11-29T10:15:00Z\""));
    }
}
