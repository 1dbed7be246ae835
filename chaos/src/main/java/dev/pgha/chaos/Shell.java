package dev.pgha.chaos;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs a system command (ip, iptables, kill) and says exactly what failed. */
final class Shell {
    private Shell() {}

    record Result(int code, String output) {}

    static Result run(List<String> cmd) {
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return new Result(-1, "timed out");
            }
            return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8).strip());
        } catch (IOException e) {
            return new Result(-1, e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Result(-1, "interrupted");
        }
    }

    /** Runs {@code cmd}; a non-zero exit is an error naming the command and its output. */
    static String check(String... cmd) {
        Result r = run(List.of(cmd));
        if (r.code() != 0) {
            throw new IllegalStateException(
                    "`" + String.join(" ", cmd) + "` failed (exit " + r.code() + "): " + r.output());
        }
        return r.output();
    }

    /** Sends {@code signal} (STOP, CONT, KILL) to {@code pid}. */
    static void signal(long pid, String signal) {
        run(List.of("kill", "-s", signal, Long.toString(pid)));
    }

    /** One kill(1) for all of {@code pids}: they stop (or go on) together. */
    static void signal(List<Long> pids, String signal) {
        List<String> cmd = new java.util.ArrayList<>(List.of("kill", "-s", signal));
        pids.forEach(p -> cmd.add(Long.toString(p)));
        run(cmd);
    }
}
