package dev.pgha.common.concurrent;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** Real processes (sh), whose output pgha reads: pg_restore's stderr in pgha import, initdb's, pg_rewind's. */
class LineTailTest {
    private static final Duration BOUND = Duration.ofSeconds(5);

    /** A tool that writes much before it fails: its exit comes before its last lines are read, and they say why. */
    @Test
    void theLastLinesAreThoseTheProcessWroteLastEvenJustAfterItExits() throws Exception {
        for (int round = 0; round < 20; round++) {
            Process p = new ProcessBuilder(
                            "sh",
                            "-c",
                            "seq 1 20000 | sed 's/^/pg_restore: creating /' >&2; "
                                    + "echo 'error: relation \"clash\" exists' >&2; "
                                    + "echo 'Command was: CREATE TABLE clash' >&2; exit 1")
                    .start();
            AtomicLong created = new AtomicLong();
            LineTail stderr = LineTail.follow(
                    p.getErrorStream(),
                    5,
                    line -> {
                        if (line.startsWith("pg_restore: creating ")) {
                            created.incrementAndGet();
                            return false;
                        }
                        return true;
                    },
                    "test-stderr");
            assertThat(p.waitFor()).isEqualTo(1);
            stderr.awaitEnd(BOUND);
            assertThat(stderr.lines())
                    .containsExactly("error: relation \"clash\" exists", "Command was: CREATE TABLE clash");
            assertThat(created).hasValue(20000);
        }
    }

    @Test
    void keepsOnlyTheLastLinesAsWritten() throws Exception {
        Process p = new ProcessBuilder("sh", "-c", "for i in 1 2 3 4 5 6 7; do echo \" line $i\" >&2; done").start();
        LineTail stderr = LineTail.follow(p.getErrorStream(), 5, line -> true, "test-stderr");
        p.waitFor();
        stderr.awaitEnd(BOUND);
        assertThat(stderr.lines()).containsExactly(" line 3", " line 4", " line 5", " line 6", " line 7");
    }
}
