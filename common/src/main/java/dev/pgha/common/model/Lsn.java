package dev.pgha.common.model;

import java.util.Locale;

/** WAL positions: as postgres writes them (0/16B3748), and how far one is behind another. */
public final class Lsn {
    private Lsn() {}

    /**
     * Replication lag in bytes: how much of the leader's WAL (up to {@code leaderLsn}) a member holding up to
     * {@code lsn} has not replayed yet; never negative (a report of the leader read before the member's may lag).
     * Every lag pgha shows is this one computation.
     */
    public static long behind(long leaderLsn, long lsn) {
        return Math.max(0, leaderLsn - lsn);
    }

    public static String format(long lsn) {
        return Long.toHexString(lsn >>> 32).toUpperCase(Locale.ROOT) + "/"
                + Long.toHexString(lsn & 0xFFFFFFFFL).toUpperCase(Locale.ROOT);
    }

    /**
     * Parses "16/B3748" (as postgres prints it).
     *
     * @throws IllegalArgumentException when {@code text} is not a WAL position
     */
    public static long parse(String text) {
        int slash = text.indexOf('/');
        if (slash < 1 || slash > 8 || text.length() - slash - 1 < 1 || text.length() - slash - 1 > 8) {
            throw new IllegalArgumentException("not a WAL position: " + text);
        }
        try {
            return (Long.parseLong(text.substring(0, slash), 16) << 32) | Long.parseLong(text.substring(slash + 1), 16);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("not a WAL position: " + text);
        }
    }
}
