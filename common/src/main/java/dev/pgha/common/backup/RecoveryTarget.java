package dev.pgha.common.backup;

import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeFormatterBuilder;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoField;
import java.util.List;
import java.util.Optional;

/**
 * Where a point-in-time restore stops replaying WAL: the end of the archive (LATEST), a time, a named restore point
 * or a WAL position. Values are validated when the configuration is read.
 */
public record RecoveryTarget(Kind kind, Optional<String> value) {
    public enum Kind {
        LATEST,
        TIME,
        NAME,
        LSN
    }

    /** How postgres (recovery_target_time) and pgBackRest read a time: with its offset, to the microsecond. */
    public static final DateTimeFormatter POSTGRES_TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSSSSSxxx");

    /**
     * "2026-11-29 10:15:00+00", "2026-11-29T10:15:00.5Z", "… +01:00" in postgres's form; empty when {@code text} is
     * not a time with a zone (a time without one would mean whatever zone the server runs in).
     */
    public static Optional<String> normalizeTime(String text) {
        for (String offset : List.of("+HH:mm", "+HH")) {
            DateTimeFormatter f = new DateTimeFormatterBuilder()
                    .appendPattern("yyyy-MM-dd")
                    .optionalStart()
                    .appendLiteral('T')
                    .optionalEnd()
                    .optionalStart()
                    .appendLiteral(' ')
                    .optionalEnd()
                    .appendPattern("HH:mm:ss")
                    .optionalStart()
                    .appendFraction(ChronoField.NANO_OF_SECOND, 1, 9, true)
                    .optionalEnd()
                    .optionalStart()
                    .appendLiteral(' ')
                    .optionalEnd()
                    .appendOffset(offset, "Z")
                    .toFormatter();
            try {
                return Optional.of(POSTGRES_TIME.format(OffsetDateTime.parse(text.strip(), f)));
            } catch (DateTimeParseException e) {
                // try the next form
            }
        }
        return Optional.empty();
    }

    public static RecoveryTarget latest() {
        return new RecoveryTarget(Kind.LATEST, Optional.empty());
    }

    public static RecoveryTarget of(Kind kind, String value) {
        return new RecoveryTarget(kind, Optional.of(value));
    }

    /** For logs and errors: "latest", "time 2026-11-29 10:00:00+00", ... */
    public String describe() {
        return switch (kind) {
            case LATEST -> "the end of the archive";
            case TIME -> "time " + value.orElseThrow();
            case NAME -> "restore point " + value.orElseThrow();
            case LSN -> "WAL position " + value.orElseThrow();
        };
    }
}
