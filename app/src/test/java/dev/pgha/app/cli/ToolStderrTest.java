package dev.pgha.app.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class ToolStderrTest {

    /** A tool that writes much before it fails: its exit comes before its last lines are read, and they say why. */
    @Test
    void theLastLinesAreThoseTheToolWroteLastEvenJustAfterItExits() throws Exception {
        for (int round = 0; round < 20; round++) {
            Process p = new ProcessBuilder(
                            "sh",
                            "-c",
                            "seq 1 20000 | sed 's/^/pg_restore: creating /' >&2; echo 'error: relation \"clash\" exists' >&2; echo 'Command was: CREATE TABLE clash' >&2; exit 1")
                    .start();
            AtomicLong created = new AtomicLong();
            ToolStderr stderr = ToolStderr.follow(p.getErrorStream(), line -> {
                if (line.startsWith("pg_restore: creating ")) {
                    created.incrementAndGet();
                    return true;
                }
                return false;
            });
            assertThat(p.waitFor()).isEqualTo(1);
            assertThat(stderr.lastLines())
                    .isEqualTo("error: relation \"clash\" exists | Command was: CREATE TABLE clash");
            assertThat(created).hasValue(20000);
        }
    }

    @Test
    void keepsOnlyTheLastFiveLinesStripped() throws Exception {
        Process p = new ProcessBuilder("sh", "-c", "for i in 1 2 3 4 5 6 7; do echo \"  line $i \" >&2; done").start();
        ToolStderr stderr = ToolStderr.follow(p.getErrorStream(), line -> false);
        p.waitFor();
        assertThat(stderr.lastLines()).isEqualTo("line 3 | line 4 | line 5 | line 6 | line 7");
    }
}
