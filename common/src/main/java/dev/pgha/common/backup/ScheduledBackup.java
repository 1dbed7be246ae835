package dev.pgha.common.backup;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * One entry of backup.schedule: a backup of {@code type} is due once {@code every} has passed since the last
 * successful backup of that type (or of a fuller one: a full backup also counts as a diff and an incr).
 */
public record ScheduledBackup(Duration every, BackupType type) {

    /**
     * Parses "daily full, hourly incr"; empty for an empty schedule.
     *
     * @return the entries, or empty when {@code text} is not a schedule
     */
    public static Optional<List<ScheduledBackup>> parse(String text) {
        List<ScheduledBackup> entries = new ArrayList<>();
        if (text.isBlank()) {
            return Optional.of(entries);
        }
        for (String part : text.split(",")) {
            String[] words = part.strip().toLowerCase(Locale.ROOT).split("\\s+");
            if (words.length != 2) {
                return Optional.empty();
            }
            Duration every = switch (words[0]) {
                case "hourly" -> Duration.ofHours(1);
                case "daily" -> Duration.ofDays(1);
                case "weekly" -> Duration.ofDays(7);
                default -> null;
            };
            Optional<BackupType> type = BackupType.parse(words[1]);
            if (every == null || type.isEmpty()) {
                return Optional.empty();
            }
            entries.add(new ScheduledBackup(every, type.get()));
        }
        return Optional.of(List.copyOf(entries));
    }
}
