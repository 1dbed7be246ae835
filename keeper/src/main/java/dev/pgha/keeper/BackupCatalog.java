package dev.pgha.keeper;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pgha.common.backup.BackupType;
import dev.pgha.common.backup.RecoveryTarget;
import dev.pgha.common.model.Json;
import dev.pgha.common.model.Lsn;
import java.io.IOException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * What a stanza of the repository holds, from {@code pgbackrest info --output=json}: its backups, oldest first, and
 * the range of archived WAL. Read as untrusted input: unknown or missing fields give empty values, never a crash.
 *
 * @param statusCode pgBackRest's status code of the stanza: 0 ok, 1 missing stanza path, 2 no valid backups, ...,
 *                   99 other (the repository could not be read)
 * @param status     its message ("ok", "missing stanza path", or why the repository could not be read)
 * @param walMin     the oldest archived WAL segment, or null
 * @param walMax     the newest, or null
 */
public record BackupCatalog(
        String stanza, int statusCode, String status, List<Set> backups, String walMin, String walMax) {

    /**
     * One backup.
     *
     * @param member    the member that took it (pgha's annotation), or null
     * @param size      the database size it holds
     * @param repoSize  what it takes in the repository (after compression and deduplication against its prior)
     */
    public record Set(
            String label,
            BackupType type,
            Instant start,
            Instant stop,
            long size,
            long repoSize,
            String walStart,
            String walStop,
            long lsnStop,
            String member) {}

    public BackupCatalog {
        backups = List.copyOf(backups);
    }

    /** The stanza exists in the repository (pgBackRest's status code 0, or it holds backups). */
    public boolean exists() {
        return statusCode == 0 || !backups.isEmpty();
    }

    /** Why the repository could not be read (unreachable, wrong credentials or passphrase), if it could not. */
    public Optional<String> readError() {
        return statusCode == UNREADABLE ? Optional.of(status) : Optional.empty();
    }

    private static final int UNREADABLE = 99;

    /**
     * Parses pgBackRest's JSON for {@code stanza}.
     *
     * @throws IllegalArgumentException when the text is not pgBackRest's info JSON
     */
    public static BackupCatalog parse(String json, String stanza) {
        JsonNode root;
        try {
            root = Json.mapper().readTree(json);
        } catch (IOException e) {
            throw new IllegalArgumentException("pgBackRest's info is not JSON: " + e.getMessage());
        }
        if (root == null || !root.isArray()) {
            throw new IllegalArgumentException("pgBackRest's info is not a list of stanzas");
        }
        for (JsonNode s : root) {
            if (!stanza.equals(s.path("name").asText())) {
                continue;
            }
            List<Set> sets = new ArrayList<>();
            for (JsonNode b : s.path("backup")) {
                if (b.path("error").asBoolean(false)) {
                    continue; // a backup with page checksum errors: never a restore's base
                }
                Optional<BackupType> type = BackupType.parse(b.path("type").asText());
                if (type.isEmpty() || b.path("label").asText().isEmpty()) {
                    continue;
                }
                sets.add(new Set(
                        b.path("label").asText(),
                        type.get(),
                        Instant.ofEpochSecond(b.path("timestamp").path("start").asLong()),
                        Instant.ofEpochSecond(b.path("timestamp").path("stop").asLong()),
                        b.path("info").path("size").asLong(),
                        b.path("info").path("repository").path("delta").asLong(),
                        text(b.path("archive").path("start")),
                        text(b.path("archive").path("stop")),
                        lsn(b.path("lsn").path("stop").asText()),
                        text(b.path("annotation").path(MEMBER_ANNOTATION))));
            }
            sets.sort(Comparator.comparing(Set::stop).thenComparing(Set::label));
            String walMin = null;
            String walMax = null;
            for (JsonNode a : s.path("archive")) {
                String min = text(a.path("min"));
                String max = text(a.path("max"));
                if (min != null && (walMin == null || min.compareTo(walMin) < 0)) {
                    walMin = min;
                }
                if (max != null && (walMax == null || max.compareTo(walMax) > 0)) {
                    walMax = max;
                }
            }
            int code = s.path("status").path("code").asInt(99);
            String message = s.path("status").path("message").asText("unknown");
            for (JsonNode repo : s.path("repo")) {
                if (repo.path("status").path("code").asInt(0) != 0) {
                    message = repo.path("status").path("message").asText(message); // says what failed
                }
            }
            return new BackupCatalog(stanza, code, message, sets, walMin, walMax);
        }
        return new BackupCatalog(stanza, 1, "missing stanza", List.of(), null, null);
    }

    /** The annotation key naming the member that took a backup. */
    public static final String MEMBER_ANNOTATION = "pgha-member";

    /** The newest backup. */
    public Optional<Set> latest() {
        return backups.isEmpty() ? Optional.empty() : Optional.of(backups.get(backups.size() - 1));
    }

    /**
     * The backup a restore to {@code target} starts from: the newest that finished before it (a time or a WAL
     * position), or the newest (latest, a restore point: postgres finds the point while it replays).
     *
     * @return empty when none is early enough; {@link #explainNoBase} says why
     */
    public Optional<Set> baseFor(RecoveryTarget target) {
        List<Set> candidates = new ArrayList<>();
        for (Set b : backups) {
            boolean early = switch (target.kind()) {
                case LATEST, NAME -> true;
                case TIME -> b.stop().isBefore(time(target.value().orElseThrow()));
                case LSN ->
                    b.lsnStop() != 0 && b.lsnStop() <= Lsn.parse(target.value().orElseThrow());
            };
            if (early) {
                candidates.add(b);
            }
        }
        return candidates.isEmpty() ? Optional.empty() : Optional.of(candidates.get(candidates.size() - 1));
    }

    /** One line: why no backup can start a restore to {@code target}. */
    public String explainNoBase(RecoveryTarget target) {
        if (backups.isEmpty()) {
            return "the repository holds no backup of cluster " + stanza + " (" + status + ")";
        }
        Set first = backups.get(0);
        return "no backup of cluster " + stanza + " finished before " + target.describe() + ": the oldest, "
                + first.label() + ", finished at " + first.stop() + " (WAL position " + Lsn.format(first.lsnStop())
                + ")";
    }

    private static Instant time(String postgresTime) {
        return OffsetDateTime.parse(postgresTime, RecoveryTarget.POSTGRES_TIME).toInstant();
    }

    private static long lsn(String text) {
        try {
            return text.isEmpty() ? 0 : Lsn.parse(text);
        } catch (RuntimeException e) {
            return 0;
        }
    }

    private static String text(JsonNode node) {
        return node.isTextual() && !node.asText().isEmpty() ? node.asText() : null;
    }
}
