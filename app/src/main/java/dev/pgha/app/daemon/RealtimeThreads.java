package dev.pgha.app.daemon;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Gives the threads a member's liveness rides on real-time CPU priority (round-robin, priority 1), so that a busy
 * postgres on the same CPUs cannot hold them off past the store session timeout. Under {@code pgbench -S -c 256}
 * straight at postgres on 2 cores, each of a store round trip's eight or so thread hops waited 100-370 ms for a CPU,
 * and a single node fenced its own primary in 3 of 4 rounds; with these threads raised, in none of 4
 * (bench/busy-postgres.sh, same TPS). Lowering postgres instead (nice 19, SCHED_BATCH, even SCHED_IDLE) left a
 * normal-priority thread's wake-ups 100-250 ms late there (kernel 6.18, EEVDF): only real-time priority bounds them.
 *
 * <p>Raised: the threads the caller's predicate names (the store's client and server, the keeper's and sentinel's
 * loops) and the JVM's "VM Thread", which runs every garbage collection while all others wait. The proxy's event
 * loops, the compilers and everything else keep normal priority: they may use much CPU, and a real-time thread that
 * does is only stopped by the kernel's real-time budget (95% of a CPU). Each raised thread has SCHED_RESET_ON_FORK,
 * so what it starts (a thread, postgres, a tool) starts at normal priority.
 *
 * <p>Threads are matched every 2 s by name ({@code /proc/self/task/N/comm} holds the first 15 characters of a Java
 * thread's name), because ZooKeeper starts new ones on reconnection, and each is set once with util-linux's
 * {@code chrt}. That needs CAP_SYS_NICE (root on a host or VM; a container needs {@code --cap-add SYS_NICE}) or an
 * RLIMIT_RTPRIO of 1 or more: refused, one line says so and nothing else changes.
 */
final class RealtimeThreads implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(RealtimeThreads.class);
    private static final Path TASKS = Path.of("/proc/self/task");
    private static final int COMM_LENGTH = 15; // Linux keeps 16 bytes with the terminating NUL
    private static final String THREAD_NAME = "realtime-threads";
    // the JVM's safepoint thread, and this one: a thread preempted while it runs Java code holds every safepoint
    // (a garbage collection) up, and all Java threads wait for it, raised or not
    private static final Set<String> ALWAYS = Set.of("VM Thread", THREAD_NAME);
    private static final List<String> CHRT = List.of("/usr/bin/chrt", "/bin/chrt");

    private final Predicate<String> critical;
    private final List<String> chrt;
    private final Set<Long> raised = new HashSet<>(); // owned by the scanning thread
    private ScheduledExecutorService scanner;
    private volatile String refusal;

    /**
     * @param critical Java thread names to raise
     * @param chrt     the command that runs util-linux's chrt (tests put setpriv in front)
     */
    RealtimeThreads(Predicate<String> critical, List<String> chrt) {
        this.critical = critical;
        this.chrt = List.copyOf(chrt);
    }

    /** Raises the threads {@code critical} names, now and every 2 s; null where this system has no chrt or /proc. */
    static RealtimeThreads start(Predicate<String> critical) {
        if (!Files.isDirectory(TASKS)) {
            return null;
        }
        Path chrt = CHRT.stream()
                .map(Path::of)
                .filter(Files::isExecutable)
                .findFirst()
                .orElse(null);
        if (chrt == null) {
            log.warn("store threads keep normal CPU priority: chrt (util-linux) is not installed; a CPU-bound postgres"
                    + " can then delay this member's store heartbeats past store.sessionTimeout and make it"
                    + " fence (install util-linux, or set store.realtimeThreads = false to silence this)");
            return null;
        }
        RealtimeThreads threads = new RealtimeThreads(critical, List.of(chrt.toString()));
        threads.scanner = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, THREAD_NAME);
            t.setDaemon(true);
            return t;
        });
        threads.scanner.scheduleWithFixedDelay(threads::scanSafely, 0, 2, TimeUnit.SECONDS);
        return threads;
    }

    private void scanSafely() {
        try {
            if (!scan()) {
                scanner.shutdown();
            }
        } catch (RuntimeException e) {
            log.warn("cannot raise the store threads' CPU priority: {}", e.toString());
            scanner.shutdown();
        }
    }

    /**
     * Raises the critical threads not raised yet. False once raising was refused (said once in the log): there is
     * no point in trying again.
     */
    boolean scan() {
        Map<Long, String> tasks = tasks();
        raised.retainAll(tasks.keySet());
        Set<String> names = criticalNames();
        List<Long> due = new ArrayList<>();
        tasks.forEach((tid, comm) -> {
            if (!raised.contains(tid) && names.contains(comm)) {
                due.add(tid);
            }
        });
        if (due.isEmpty()) {
            return true;
        }
        String refused = raise(due);
        if (refused != null) {
            refusal = refused;
            log.warn(
                    "store threads keep normal CPU priority: raising them to real-time was refused ({}); a CPU-bound"
                            + " postgres can then delay this member's store heartbeats past store.sessionTimeout and"
                            + " make it fence. Give pgha CAP_SYS_NICE (a container: --cap-add SYS_NICE) or an rtprio"
                            + " limit of 1, or set store.realtimeThreads = false to silence this",
                    refused);
            return false;
        }
        if (raised.isEmpty()) {
            log.info("store threads run at real-time CPU priority (SCHED_RR 1), each as it starts");
        }
        raised.addAll(due);
        return true;
    }

    /** Why raising was refused, or null. */
    String refusal() {
        return refusal;
    }

    /** The comm of every live thread to raise: its Java name cut to what Linux keeps. */
    private Set<String> criticalNames() {
        ThreadGroup root = Thread.currentThread().getThreadGroup();
        while (root.getParent() != null) {
            root = root.getParent();
        }
        Thread[] all = new Thread[root.activeCount() * 2 + 16];
        int n = root.enumerate(all, true);
        Set<String> names = new HashSet<>();
        ALWAYS.forEach(name -> names.add(comm(name)));
        for (int i = 0; i < n; i++) {
            String name = all[i].getName();
            if (critical.test(name)) {
                names.add(comm(name));
            }
        }
        return names;
    }

    /** What Linux keeps of a thread's name: its first 15 characters. */
    private static String comm(String name) {
        return name.length() > COMM_LENGTH ? name.substring(0, COMM_LENGTH) : name;
    }

    private static Map<Long, String> tasks() {
        Map<Long, String> tasks = new HashMap<>();
        try (Stream<Path> dirs = Files.list(TASKS)) {
            dirs.forEach(dir -> {
                try {
                    String comm = Files.readString(dir.resolve("comm"), StandardCharsets.UTF_8)
                            .strip();
                    tasks.put(Long.parseLong(dir.getFileName().toString()), comm);
                } catch (IOException | NumberFormatException e) {
                    // the thread ended meanwhile
                }
            });
        } catch (IOException e) {
            throw new IllegalStateException("cannot list " + TASKS + ": " + e.getMessage(), e);
        }
        return tasks;
    }

    /**
     * Sets SCHED_RR 1 with SCHED_RESET_ON_FORK on each thread: null when done (a thread that ended meanwhile aside),
     * else what refused it.
     */
    private String raise(List<Long> tids) {
        for (long tid : tids) {
            List<String> command = new ArrayList<>(chrt);
            command.addAll(List.of("--rr", "--reset-on-fork", "--pid", "1", Long.toString(tid)));
            try {
                Process p =
                        new ProcessBuilder(command).redirectErrorStream(true).start();
                String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
                if (!p.waitFor(10, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                    return "chrt did not finish within 10 s";
                }
                if (p.exitValue() != 0 && Files.exists(TASKS.resolve(Long.toString(tid)))) {
                    return output.isEmpty() ? "chrt exited with " + p.exitValue() : output;
                }
            } catch (IOException e) {
                return "cannot run " + command.get(0) + ": " + e.getMessage();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return "interrupted";
            }
        }
        return null;
    }

    @Override
    public void close() {
        if (scanner != null) {
            scanner.shutdownNow();
        }
    }
}
