package dev.pgha.keeper;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * synchronous_standby_names as pgha writes it: {@code ANY 1 ("a","b")} waits for any one of the named members
 * (standbys connect with application_name = member id). Member ids are [a-z0-9-] only, so quoting is exact.
 */
public final class SynchronousNames {
    /**
     * Strict mode with too few in sync: names no member can have (ids have no '_'), so commits wait until the
     * sentinel names enough caught-up standbys.
     */
    static final String NOBODY = "pgha_no_sync_standby";

    private static final Pattern QUOTED = Pattern.compile("\"([^\"]*)\"");

    private SynchronousNames() {}

    /**
     * The setting for {@code members}, waiting for {@code standbys} of them ({@code cluster.synchronousStandbys}): for
     * as many as there are when fewer are named, unless strict, when the missing ones are names nobody has, so that
     * commits wait; empty (asynchronous) when none are named and not strict.
     */
    public static String render(List<String> members, boolean strict, int standbys) {
        if (members.isEmpty() && !strict) {
            return "";
        }
        List<String> quoted =
                new ArrayList<>(members.stream().map(m -> "\"" + m + "\"").toList());
        for (int i = 1; strict && quoted.size() < standbys; i++) {
            quoted.add("\"" + (i == 1 ? NOBODY : NOBODY + "_" + i) + "\"");
        }
        int wait = strict ? Math.max(1, standbys) : Math.min(Math.max(1, standbys), quoted.size());
        return "ANY " + wait + " (" + String.join(",", quoted) + ")";
    }

    /** The members a setting waits for (the strict placeholder is nobody). */
    public static List<String> parse(String setting) {
        List<String> names = new ArrayList<>();
        if (setting == null) {
            return names;
        }
        Matcher m = QUOTED.matcher(setting);
        while (m.find()) {
            if (!m.group(1).startsWith(NOBODY)) {
                names.add(m.group(1));
            }
        }
        return names;
    }
}
