package dev.pgha.keeper;

import dev.pgha.common.PghaException;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One running postmaster, started by pgha as a direct child in its own session (so a terminal's Ctrl-C or a
 * signal to pgha's process group does not reach it; pgha decides how postgres stops). Its output is relayed into
 * pgha's log with the [postgres] prefix.
 */
public final class PostgresServer {
    private static final Logger log = LoggerFactory.getLogger(PostgresServer.class);
    private static final Logger pgLog = LoggerFactory.getLogger("postgres");
    private static final int RECENT_LINES = 20;
    private static final Duration IMMEDIATE_TIMEOUT = Duration.ofSeconds(10);
    /** How long a start is watched closely (every 10 ms): most take a few hundred ms. */
    private static final long QUICK_START_NANOS = Duration.ofSeconds(2).toNanos();

    private final Process process;
    private final Thread relay;
    private final Deque<String> recent = new ArrayDeque<>();
    private final PgBinaries binaries;
    private final PostgresOsUser user;

    private PostgresServer(Process process, PgBinaries binaries, PostgresOsUser user) {
        this.process = process;
        this.binaries = binaries;
        this.user = user;
        this.relay = new Thread(this::relayOutput, "postgres-output");
        this.relay.setDaemon(true);
        this.relay.start();
    }

    /** Starts {@code postgres -D pgdata}; returns at once (see {@link #awaitReady}). */
    public static PostgresServer start(PgBinaries binaries, PostgresOsUser user, Path pgdata) {
        Path setsid = Executables.require("setsid", "util-linux");
        List<String> command = new ArrayList<>(List.of(setsid.toString()));
        command.addAll(user.wrap(List.of(binaries.tool("postgres").toString(), "-D", pgdata.toString())));
        try {
            Process p = ProcessRunner.builder(command).start();
            SignalShell.of(user).prepare(); // ready for the signal that stops this postgres
            return new PostgresServer(p, binaries, user);
        } catch (IOException e) {
            throw new PghaException("cannot start postgres: " + e.getMessage());
        }
    }

    public long pid() {
        return process.pid();
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /** Waits up to {@code timeout} for the process to end; true once it has. */
    boolean awaitExit(Duration timeout) {
        try {
            return process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return !process.isAlive();
        }
    }

    /** Exit code once the process has ended. */
    public int exitCode() {
        return process.exitValue();
    }

    /** The most telling recent output line: the last FATAL/PANIC/ERROR, else the last line. */
    public String lastProblem() {
        synchronized (recent) {
            List<String> lines = List.copyOf(recent);
            for (int i = lines.size() - 1; i >= 0; i--) {
                String l = lines.get(i);
                if (l.contains("FATAL:") || l.contains("PANIC:") || l.contains("ERROR:")) {
                    return l.strip();
                }
            }
            return lines.isEmpty() ? "no output" : lines.get(lines.size() - 1).strip();
        }
    }

    /**
     * Waits until postmaster.pid says "ready" for this process.
     *
     * @param abandon polled while waiting; true stops waiting (the daemon is shutting down)
     */
    public void awaitReady(DataDirectory data, Duration timeout, BooleanSupplier abandon) {
        long started = System.nanoTime();
        long deadline = started + timeout.toNanos();
        while (true) {
            if (!process.isAlive()) {
                waitForRelay();
                throw new PghaException(
                        "postgres exited during start-up with code " + process.exitValue() + ": " + lastProblem());
            }
            Optional<DataDirectory.PostmasterPid> pid = data.postmasterPid();
            if (pid.isPresent() && pid.get().pid() == process.pid() && pid.get().ready()) {
                return;
            }
            if (abandon.getAsBoolean()) {
                throw new PghaException("start of postgres abandoned: pgha is stopping");
            }
            if (System.nanoTime() > deadline) {
                throw new PghaException("postgres did not accept connections within " + timeout.toSeconds()
                        + " s (postgres.startTimeout): " + lastProblem());
            }
            // a long recovery is looked at less often
            sleep(System.nanoTime() - started < QUICK_START_NANOS ? 10 : 50);
        }
    }

    /** Fast shutdown; immediate when that takes longer than {@code fastTimeout}; SIGKILL as the last resort. */
    public void stop(Duration fastTimeout) {
        stopProcess(process.toHandle(), binaries, user, fastTimeout);
        waitForRelay();
    }

    /** Immediate shutdown at once (a second stop signal: the user wants out now). */
    public void stopImmediately() {
        stopProcess(process.toHandle(), binaries, user, Duration.ZERO);
    }

    /** Stops a postmaster pgha did not start in this run (an orphan of a crashed pgha), by its pid. */
    public static void stopOrphan(long pid, PgBinaries binaries, PostgresOsUser user, Duration fastTimeout) {
        ProcessHandle.of(pid).ifPresent(h -> stopProcess(h, binaries, user, fastTimeout));
    }

    /**
     * Stops a postmaster and waits until it and its children are gone. It runs to its end even on an interrupted
     * thread (a keeper action interrupted by the daemon's shutdown): giving up half-way would leave a postgres
     * running after pgha exited. An interrupt, before or during the stop, is restored afterwards.
     */
    private static void stopProcess(
            ProcessHandle handle, PgBinaries binaries, PostgresOsUser user, Duration fastTimeout) {
        Stopping stopping = new Stopping(handle, binaries, user, Thread.interrupted());
        try {
            stopping.signalUntilExit(fastTimeout);
            // A postmaster waits for its children before it exits, unless it had to be killed: then they notice its
            // death on their own, and what does not is killed.
            for (ProcessHandle child : stopping.children) {
                if (!stopping.awaitExit(child, IMMEDIATE_TIMEOUT)) {
                    child.destroyForcibly();
                    stopping.awaitExit(child, IMMEDIATE_TIMEOUT);
                }
            }
        } finally {
            if (stopping.interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** One stop in progress; it remembers an interrupt instead of acting on it. */
    private static final class Stopping {
        private final ProcessHandle handle;
        private final PgBinaries binaries;
        private final PostgresOsUser user;
        private boolean interrupted;
        /**
         * The postmaster's children, listed once it has the first signal: listing them takes 1-30 ms (every process
         * is looked at), which would delay the signal. The list is complete: a postmaster that stops waits for its
         * children, and one that must be killed has not stopped.
         */
        private List<ProcessHandle> children = List.of();

        Stopping(ProcessHandle handle, PgBinaries binaries, PostgresOsUser user, boolean interrupted) {
            this.handle = handle;
            this.binaries = binaries;
            this.user = user;
            this.interrupted = interrupted;
        }

        void signalUntilExit(Duration fastTimeout) {
            if (!handle.isAlive()) {
                return;
            }
            if (!fastTimeout.isZero()) {
                signal("INT");
                children = handle.children().toList();
                if (awaitExit(handle, fastTimeout)) {
                    return;
                }
                log.warn(
                        "postgres (pid {}) did not finish a fast shutdown within {} s; using an immediate shutdown",
                        handle.pid(),
                        fastTimeout.toSeconds());
            }
            signal("QUIT");
            if (fastTimeout.isZero()) {
                children = handle.children().toList();
            }
            if (awaitExit(handle, IMMEDIATE_TIMEOUT)) {
                return;
            }
            log.error(
                    "postgres (pid {}) ignored an immediate shutdown for {} s; killing it",
                    handle.pid(),
                    IMMEDIATE_TIMEOUT.toSeconds());
            handle.destroyForcibly();
            awaitExit(handle, IMMEDIATE_TIMEOUT);
        }

        /**
         * Sends a signal as postgres's own user: through the {@link SignalShell}, else with {@code pg_ctl kill}, which
         * every postgres installation has.
         */
        private void signal(String signal) {
            SignalShell.Outcome sent = SignalShell.of(user).send(signal, handle.pid());
            if (sent == SignalShell.Outcome.SENT) {
                return;
            }
            if (sent == SignalShell.Outcome.REFUSED && !handle.isAlive()) {
                return; // it exited meanwhile
            }
            try {
                ProcessRunner.Result r = ProcessRunner.run(
                        user.wrap(List.of(
                                binaries.tool("pg_ctl").toString(), "kill", signal, Long.toString(handle.pid()))),
                        Duration.ofSeconds(10));
                if (!r.ok() && handle.isAlive()) {
                    log.warn("sending SIG{} to postgres (pid {}) failed: {}", signal, handle.pid(), r.tail(1));
                }
            } catch (PghaException e) {
                // the wait that follows escalates
                log.warn("sending SIG{} to postgres (pid {}) failed: {}", signal, handle.pid(), e.getMessage());
            }
        }

        /** Waits for {@code process} to exit, through interrupts; true when it did. */
        boolean awaitExit(ProcessHandle process, Duration timeout) {
            long deadline = System.nanoTime() + timeout.toNanos();
            while (true) {
                try {
                    process.onExit().get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                    return true;
                } catch (InterruptedException e) {
                    interrupted = true;
                } catch (TimeoutException | ExecutionException e) {
                    return !process.isAlive();
                }
                if (System.nanoTime() >= deadline) {
                    return !process.isAlive();
                }
            }
        }
    }

    private void relayOutput() {
        try (BufferedReader r =
                new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                line = RelayedLine.continuation(RelayedLine.clean(line));
                synchronized (recent) {
                    if (recent.size() == RECENT_LINES) {
                        recent.removeFirst();
                    }
                    recent.addLast(line);
                }
                if (line.contains("FATAL:") || line.contains("PANIC:")) {
                    pgLog.error("{}", line);
                } else if (line.contains("ERROR:") || line.contains("WARNING:")) {
                    pgLog.warn("{}", line);
                } else {
                    pgLog.info("{}", line);
                }
            }
        } catch (IOException ignored) {
            // postgres closed its output: it has exited
        }
    }

    private void waitForRelay() {
        try {
            relay.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new PghaException("interrupted while waiting for postgres");
        }
    }
}
