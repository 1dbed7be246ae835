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
     * Strict mode with nobody in sync: a name no member can have (ids have no '_'), so commits wait until the
     * sentinel names a caught-up standby.
     */
    static final String NOBODY = "pgha_no_sync_standby";

    private static final Pattern QUOTED = Pattern.compile("\"([^\"]*)\"");

    private SynchronousNames() {}

    /** The setting for {@code members}; empty (asynchronous) when there are none and not strict. */
    public static String render(List<String> members, boolean strict) {
        if (members.isEmpty()) {
            return strict ? "ANY 1 (\"" + NOBODY + "\")" : "";
        }
        List<String> quoted = members.stream().map(m -> "\"" + m + "\"").toList();
        return "ANY 1 (" + String.join(",", quoted) + ")";
    }

    /** The members a setting waits for (the strict placeholder is nobody). */
    public static List<String> parse(String setting) {
        List<String> names = new ArrayList<>();
        if (setting == null) {
            return names;
        }
        Matcher m = QUOTED.matcher(setting);
        while (m.find()) {
            if (!m.group(1).equals(NOBODY)) {
                names.add(m.group(1));
            }
        }
        return names;
    }
}
