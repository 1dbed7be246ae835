package dev.pgha.app.cli;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Progress of long work (a backup, a re-clone, an import) for whoever watches: at a terminal one line redrawn in place,
 * with a bar when the text says how far it got ("… (30%)", "42% copied"); otherwise (a log, a pipe, --json) plain
 * lines: each new phase at once, changing figures at most every few seconds, so logs stay readable. One owner
 * thread.
 */
final class ProgressLine {
    private static final Pattern PERCENT = Pattern.compile("(\\d{1,3}(?:\\.\\d+)?)%");
    private static final int BAR = 24;
    private static final Duration PLAIN_EVERY = Duration.ofSeconds(5);

    private final PrintWriter out;
    private final boolean terminal;
    private final long plainEveryNanos;
    private String shown;
    private long shownAt;
    private int width; // of the line drawn last at a terminal

    ProgressLine(PrintWriter out, boolean terminal, Duration plainEvery) {
        this.out = out;
        this.terminal = terminal;
        this.plainEveryNanos = plainEvery.toNanos();
    }

    /** At a terminal (stdout is one, TERM is not dumb); plain lines otherwise. */
    static ProgressLine of(PrintWriter out) {
        return new ProgressLine(out, terminal(System.getenv(), System.console() != null), PLAIN_EVERY);
    }

    static boolean terminal(Map<String, String> env, boolean console) {
        return console && !"dumb".equals(env.get("TERM"));
    }

    /** Shows {@code text} (at a terminal at once; as a plain line when it changed and the last is old enough). */
    void show(String text) {
        long now = System.nanoTime();
        if (text.equals(shown)) {
            return;
        }
        if (terminal) {
            String line = render(text);
            out.print("\r" + line + " ".repeat(Math.max(0, width - line.length())));
            width = line.length();
            out.flush();
            shown = text;
            return;
        }
        if (shown != null && phase(text).equals(phase(shown)) && now - shownAt < plainEveryNanos) {
            return; // only its figures changed, and the last line is recent
        }
        out.println(text);
        out.flush();
        shown = text;
        shownAt = now;
    }

    /** Ends the line at a terminal, so what follows starts on its own. */
    void end() {
        if (terminal && shown != null) {
            out.println();
            out.flush();
        }
        shown = null;
        width = 0;
    }

    /** The text without its figures: a new phase is always shown, figures at most every few seconds. */
    private static String phase(String text) {
        return text.replaceAll("[0-9][0-9.,]*", "#");
    }

    /** "[#######-----------------]  30% text" when the text carries a percentage; the text alone otherwise. */
    static String render(String text) {
        OptionalDouble p = percent(text);
        if (p.isEmpty()) {
            return text;
        }
        int filled = (int) Math.round(p.getAsDouble() / 100 * BAR);
        return "[" + "#".repeat(filled) + "-".repeat(BAR - filled) + "] "
                + String.format("%3d%%", Math.round(p.getAsDouble())) + " " + text;
    }

    /** The first percentage in {@code text} (0 to 100), if any. */
    static OptionalDouble percent(String text) {
        Matcher m = PERCENT.matcher(text);
        while (m.find()) {
            double v = Double.parseDouble(m.group(1));
            if (v <= 100) {
                return OptionalDouble.of(v);
            }
        }
        return OptionalDouble.empty();
    }
}
