package dev.pgha.common.health;

import java.time.Duration;
import java.util.Locale;

/** Human-readable figures for check lines: durations like Go's (246µs, 1.5ms, 2.3s) and byte sizes. */
public final class Formats {
    private Formats() {}

    public static String duration(Duration d) {
        long nanos = d.toNanos();
        if (nanos < 1_000) {
            return nanos + "ns";
        }
        if (nanos < 1_000_000) {
            return trim(nanos / 1_000.0) + "µs";
        }
        if (nanos < 1_000_000_000) {
            return trim(nanos / 1_000_000.0) + "ms";
        }
        return trim(nanos / 1_000_000_000.0) + "s";
    }

    /** 512 B, 1.5 kB, 20.53 GB (decimal units, as Fly's disk line shows). */
    public static String bytes(long n) {
        String[] units = {"B", "kB", "MB", "GB", "TB", "PB"};
        double v = n;
        int u = 0;
        while (Math.abs(v) >= 1000 && u < units.length - 1) {
            v /= 1000;
            u++;
        }
        return u == 0 ? n + " B" : String.format(Locale.ROOT, "%.2f %s", v, units[u]);
    }

    private static String trim(double v) {
        String s = String.format(Locale.ROOT, "%.2f", v);
        s = s.replaceAll("0+$", "");
        return s.endsWith(".") ? s.substring(0, s.length() - 1) : s;
    }
}
