package dev.pgha.keeper;

import dev.pgha.common.PghaException;
import dev.pgha.common.concurrent.LineTail;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;

/**
 * Runs a short-lived command to completion (initdb, id, kill ...) with a clean environment: nothing of the daemon's
 * environment (which may hold passwords) leaks into children.
 */
public final class ProcessRunner {
    private static final int KEPT_LINES = 1000;

    /** The only environment children get. */
    public static final Map<String, String> CHILD_ENV = Map.of(
            "PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            "LANG", "C.UTF-8");

    private ProcessRunner() {}

    /** Exit code and combined stdout/stderr lines. */
    public record Result(int exitCode, List<String> output) {
        public boolean ok() {
            return exitCode == 0;
        }

        /** The last {@code n} non-blank lines joined by " | ", for one-line error messages. */
        public String tail(int n) {
            List<String> lines =
                    output.stream().filter(l -> !l.isBlank()).map(String::strip).toList();
            return String.join(" | ", lines.subList(Math.max(0, lines.size() - n), lines.size()));
        }
    }

    public static ProcessBuilder builder(List<String> command) {
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        pb.environment().clear();
        pb.environment().putAll(CHILD_ENV);
        return pb;
    }

    public static Result run(List<String> command, Duration timeout) {
        return run(command, Map.of(), timeout);
    }

    /** Runs with {@code extraEnv} added to the clean environment (e.g. PGPASSFILE: never a password itself). */
    public static Result run(List<String> command, Map<String, String> extraEnv, Duration timeout) {
        return run(command, extraEnv, timeout, line -> {});
    }

    /**
     * The same, telling {@code onLine} each line of output as it comes (on the reader thread), e.g. a progress
     * report. The result keeps the last {@value #KEPT_LINES} lines.
     */
    public static Result run(
            List<String> command, Map<String, String> extraEnv, Duration timeout, Consumer<String> onLine) {
        Process process;
        try {
            ProcessBuilder pb = builder(command);
            pb.environment().putAll(extraEnv);
            process = pb.start();
        } catch (IOException e) {
            throw new PghaException("cannot run " + command.get(0) + ": " + e.getMessage());
        }
        LineTail output = LineTail.follow(
                process.getInputStream(),
                KEPT_LINES,
                line -> {
                    onLine.accept(line);
                    return true;
                },
                "output-" + command.get(0));
        try {
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                kill(process);
                process.waitFor(5, TimeUnit.SECONDS);
                throw new PghaException(command.get(0) + " did not finish within " + timeout.toSeconds() + " s");
            }
            output.awaitEnd(Duration.ofSeconds(2));
        } catch (InterruptedException e) {
            awaitExit(kill(process)); // the caller may delete what they write: they are gone when this returns
            Thread.currentThread().interrupt();
            throw new PghaException(command.get(0) + " was interrupted");
        }
        return new Result(process.exitValue(), output.lines());
    }

    /** Kills a process and every process it started that is still its descendant (a shell script's sleep, say). */
    static List<ProcessHandle> kill(Process process) {
        // the descendants first: once the parent is gone they are reparented and can no longer be found this way
        List<ProcessHandle> killed = new ArrayList<>(process.descendants().toList());
        killed.forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
        killed.add(process.toHandle());
        return killed;
    }

    /** Waits (up to 5 s in all) for killed processes to be gone. */
    private static void awaitExit(List<ProcessHandle> killed) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        for (ProcessHandle h : killed) {
            try {
                h.onExit().get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (ExecutionException | TimeoutException e) {
                return; // SIGKILL is not refused: gone soon; nothing more to wait for here
            }
        }
    }
}
