package dev.pgha.keeper;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Signals to postgres's processes through one long-lived shell that runs as postgres's OS user: {@code kill} is a
 * builtin, so a signal costs a line written and a line read, not processes started (setpriv, then pg_ctl kill: a few
 * ms on an idle machine, 11-49 ms, median 22, between the keeper's decision and postgres's "received fast shutdown
 * request" in 13 switchovers of bench/switchover.sh, where the old leader's shutdown is part of the write gap).
 * Signalled as that user, a pid that was reused by another user's process is refused, as with pg_ctl.
 *
 * <p>Started with postgres. The shell reads its commands from a pipe of this JVM's: when the JVM exits, however it
 * exits, the pipe closes and the shell ends. When it is not there or does not answer within a second, {@link #send}
 * says so and the caller falls back to pg_ctl; the next signal starts a new shell. Like the stop it serves, a signal
 * runs to its end on an interrupted thread, and the interrupt is kept for the caller.
 */
final class SignalShell {
    private static final String SCRIPT =
            "while read -r sig pid; do if kill -s \"$sig\" \"$pid\" 2>/dev/null; then echo ok; else echo failed; fi;"
                    + " done";
    private static final Set<String> SIGNALS = Set.of("INT", "QUIT", "TERM", "HUP");
    private static final Map<List<String>, SignalShell> SHELLS = new ConcurrentHashMap<>();

    private final List<String> command;
    private Process process;
    private OutputStream commands;
    private BlockingQueue<String> answers;

    private SignalShell(List<String> command) {
        this.command = command;
    }

    /**
     * The shell that runs as {@code user} (one per user and JVM), in a session of its own like postgres, so that a
     * terminal's Ctrl-C does not end it.
     */
    static SignalShell of(PostgresOsUser user) {
        List<String> command = new ArrayList<>(
                List.of(Executables.require("setsid", "util-linux").toString()));
        command.addAll(user.wrap(List.of("/bin/sh", "-c", SCRIPT)));
        return SHELLS.computeIfAbsent(List.copyOf(command), SignalShell::new);
    }

    /** Starts the shell now unless it runs, so that the first signal does not wait for it (best effort). */
    synchronized void prepare() {
        if (process == null || !process.isAlive()) {
            try {
                start();
            } catch (IOException e) {
                // the first signal tries again, then falls back to pg_ctl
            }
        }
    }

    /** Outcome of one signal. */
    enum Outcome {
        SENT,
        /** kill failed: no such process, or not one of the user's. */
        REFUSED,
        /** the shell could not be used: send it another way */
        UNAVAILABLE
    }

    synchronized Outcome send(String signal, long pid) {
        if (!SIGNALS.contains(signal) || pid <= 1) {
            throw new IllegalArgumentException("not a signal to send: " + signal + " to " + pid);
        }
        try {
            if (process == null || !process.isAlive()) {
                start();
            }
            answers.clear();
            commands.write((signal + " " + pid + "\n").getBytes(StandardCharsets.US_ASCII));
            commands.flush();
            String answer = awaitAnswer();
            if (answer == null) {
                stop();
                return Outcome.UNAVAILABLE;
            }
            return answer.equals("ok") ? Outcome.SENT : Outcome.REFUSED;
        } catch (IOException e) {
            stop();
            return Outcome.UNAVAILABLE;
        }
    }

    /** The shell's answer within a second (null: none), waited for through interrupts, which are kept. */
    private String awaitAnswer() {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(1);
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    return answers.poll(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private void start() throws IOException {
        process = new ProcessBuilder(command)
                .redirectError(ProcessBuilder.Redirect.DISCARD)
                .start();
        commands = process.getOutputStream();
        BlockingQueue<String> queue = new ArrayBlockingQueue<>(16);
        answers = queue;
        BufferedReader out =
                new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.US_ASCII));
        Thread reader = new Thread(
                () -> {
                    try (out) {
                        String line;
                        while ((line = out.readLine()) != null) {
                            queue.offer(line);
                        }
                    } catch (IOException ignored) {
                        // the shell is gone; the next signal starts another
                    }
                },
                "signal-shell");
        reader.setDaemon(true);
        reader.start();
    }

    private void stop() {
        if (process != null) {
            process.destroyForcibly();
            process = null;
        }
    }
}
