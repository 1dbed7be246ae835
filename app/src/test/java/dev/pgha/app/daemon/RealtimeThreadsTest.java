package dev.pgha.app.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Real threads of this JVM raised by the real chrt; their scheduling read back from /proc. */
class RealtimeThreadsTest {
    private static final int SCHED_OTHER = 0;
    private static final int SCHED_RR = 2;
    private static final String CHRT = "/usr/bin/chrt";

    private final CountDownLatch done = new CountDownLatch(1);

    @AfterEach
    void release() {
        done.countDown();
    }

    @Test
    void raisesTheNamedThreadsOnlyAndWhatTheyStartRunsAtNormalPriority() throws Exception {
        assumeTrue(isRoot(), "RealtimeThreadsTest: raising threads needs root (CAP_SYS_NICE); skipped");
        CountDownLatch raised = new CountDownLatch(1);
        CompletableFuture<Long> critical = new CompletableFuture<>();
        CompletableFuture<Long> plain = new CompletableFuture<>();
        CompletableFuture<Integer> startedByCritical = new CompletableFuture<>();
        park("rt-test-critical-thread-name", critical, () -> {
            raised.await();
            // a thread started by a raised thread: SCHED_RESET_ON_FORK gives it normal priority
            Thread child = new Thread(() -> startedByCritical.complete(policy(ownTid())), "rt-test-child");
            child.start();
            child.join();
        });
        park("rt-test-plain", plain, () -> {});

        RealtimeThreads threads = new RealtimeThreads(name -> name.startsWith("rt-test-critical"), List.of(CHRT));
        assertThat(threads.scan()).as(String.valueOf(threads.refusal())).isTrue();
        raised.countDown();

        assertThat(policy(critical.get(10, TimeUnit.SECONDS))).isEqualTo(SCHED_RR);
        assertThat(rtPriority(critical.get())).isEqualTo(1);
        assertThat(policy(plain.get(10, TimeUnit.SECONDS))).isEqualTo(SCHED_OTHER);
        assertThat(startedByCritical.get(10, TimeUnit.SECONDS)).isEqualTo(SCHED_OTHER);
        // the JVM's safepoint thread, which runs every garbage collection
        assertThat(Files.list(Path.of("/proc/self/task"))
                        .filter(t -> comm(t).equals("VM Thread"))
                        .map(t -> policy(Long.parseLong(t.getFileName().toString()))))
                .containsOnly(SCHED_RR);
    }

    @Test
    void withoutCapSysNiceItSaysWhatRefusedItAndTriesNoMore() throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/setpriv")), "RealtimeThreadsTest: no setpriv; skipped");
        CompletableFuture<Long> critical = new CompletableFuture<>();
        park("rt-test-refused", critical, () -> {});
        // chrt without any capability, as in a container without --cap-add SYS_NICE
        RealtimeThreads threads = new RealtimeThreads(
                name -> name.equals("rt-test-refused"),
                List.of("/usr/bin/setpriv", "--inh-caps=-all", "--bounding-set=-all", "--", CHRT));

        assertThat(threads.scan()).isFalse();
        assertThat(threads.refusal()).contains("Operation not permitted");
        assertThat(policy(critical.get(10, TimeUnit.SECONDS))).isEqualTo(SCHED_OTHER);
    }

    interface Body {
        void run() throws Exception;
    }

    /** Starts a thread named {@code name} that reports its tid, runs {@code body} and waits for the test's end. */
    private void park(String name, CompletableFuture<Long> tid, Body body) {
        Thread t = new Thread(
                () -> {
                    tid.complete(ownTid());
                    try {
                        body.run();
                        done.await();
                    } catch (Exception e) {
                        Thread.currentThread().interrupt();
                    }
                },
                name);
        t.setDaemon(true);
        t.start();
    }

    private static long ownTid() {
        try {
            return Long.parseLong(Files.readSymbolicLink(Path.of("/proc/thread-self"))
                    .getFileName()
                    .toString());
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Field n (1-based, as proc(5) numbers them) of a thread's stat line. */
    private static String statField(long tid, int n) {
        try {
            String stat = Files.readString(Path.of("/proc/self/task/" + tid + "/stat"));
            String[] afterName = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return afterName[n - 3];
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static int policy(long tid) {
        return Integer.parseInt(statField(tid, 41));
    }

    private static int rtPriority(long tid) {
        return Integer.parseInt(statField(tid, 40));
    }

    private static String comm(Path task) {
        try {
            return Files.readString(task.resolve("comm")).strip();
        } catch (IOException e) {
            return "";
        }
    }

    private static boolean isRoot() {
        return "root".equals(System.getProperty("user.name"));
    }
}
