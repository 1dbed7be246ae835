package dev.pgha.app.cli;

import java.util.Map;
import java.util.function.Predicate;

/**
 * Colour for people at a terminal, never for scripts: only when stdout is a terminal, TERM is not "dumb" and NO_COLOR
 * (https://no-color.org) is not set. Applied to whole lines after a table is rendered, so alignment is untouched.
 */
final class Colors {
    static final String GREEN = "32";
    static final String YELLOW = "33";
    static final String RED = "31";

    private Colors() {}

    static boolean enabled(Map<String, String> env, boolean terminal) {
        return terminal && !env.containsKey("NO_COLOR") && !"dumb".equals(env.get("TERM"));
    }

    static boolean enabled() {
        return enabled(System.getenv(), System.console() != null);
    }

    /** {@code text} with each line that {@code pick} chooses in colour {@code code}. */
    static String lines(String text, Predicate<String> pick, String code) {
        StringBuilder b = new StringBuilder(text.length() + 64);
        for (String line : text.split("\n", -1)) {
            if (!b.isEmpty()) {
                b.append('\n');
            }
            b.append(!line.isEmpty() && pick.test(line) ? "\033[" + code + "m" + line + "\033[0m" : line);
        }
        return b.toString();
    }
}
