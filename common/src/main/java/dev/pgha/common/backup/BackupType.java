package dev.pgha.common.backup;

import java.util.Locale;
import java.util.Optional;

/** pgBackRest's three kinds of base backup. */
public enum BackupType {
    /** Every file. */
    FULL,
    /** Files changed since the last full backup. */
    DIFF,
    /** Files changed since the last backup of any type. */
    INCR;

    /** pgBackRest's word, and the CLI's: full, diff, incr. */
    public String word() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static Optional<BackupType> parse(String word) {
        for (BackupType t : values()) {
            if (t.word().equals(word)) {
                return Optional.of(t);
            }
        }
        return Optional.empty();
    }
}
