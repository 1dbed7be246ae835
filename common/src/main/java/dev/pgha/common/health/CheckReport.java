package dev.pgha.common.health;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/** The lines of one check endpoint (/flycheck/vm, /flycheck/pg): it passes when every line passes. */
public final class CheckReport {
    private final List<CheckResult> results = new ArrayList<>();

    /** Runs {@code check}, timing it; an exception becomes a failed line naming it. */
    public CheckReport run(String what, Supplier<Outcome> check) {
        long start = System.nanoTime();
        Outcome o;
        try {
            o = check.get();
        } catch (RuntimeException e) {
            o = Outcome.fail(what + ": " + (e.getMessage() == null ? e.toString() : e.getMessage()));
        }
        results.add(new CheckResult(o.passed(), o.message(), Duration.ofNanos(System.nanoTime() - start)));
        return this;
    }

    public CheckReport add(CheckResult r) {
        results.add(r);
        return this;
    }

    public List<CheckResult> results() {
        return List.copyOf(results);
    }

    public boolean passed() {
        return results.stream().allMatch(CheckResult::passed);
    }

    /** The body: one line per result. */
    public String render() {
        StringBuilder b = new StringBuilder();
        for (CheckResult r : results) {
            b.append(r.line()).append('\n');
        }
        return b.toString();
    }

    /** What one check found. */
    public record Outcome(boolean passed, String message) {
        public static Outcome pass(String message) {
            return new Outcome(true, message);
        }

        public static Outcome fail(String message) {
            return new Outcome(false, message);
        }
    }
}
