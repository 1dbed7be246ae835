package dev.pgha.keeper;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

class ProcessRunnerTest {
    @Test
    void eachLineIsToldAsItComesAndKeptInTheResult() {
        List<String> told = new CopyOnWriteArrayList<>();
        ProcessRunner.Result r = ProcessRunner.run(
                List.of("sh", "-c", "echo one; echo two >&2; exit 3"), Map.of(), Duration.ofSeconds(10), told::add);
        assertThat(told).containsExactly("one", "two");
        assertThat(r.output()).containsExactly("one", "two");
        assertThat(r.exitCode()).isEqualTo(3);
        assertThat(r.tail(1)).isEqualTo("two");
    }

    @Test
    void pgBasebackupsProgressReportsBecomeWords() {
        assertThat(ReplicaTools.cloneProgress("548644/823032 kB (66%), 0/1 tablespace"))
                .contains("561.81 MB of 842.78 MB (66%)");
        assertThat(ReplicaTools.cloneProgress("  12/22947 kB (0%), 0/1 tablespace (...data/base/1/1249)"))
                .contains("12.29 kB of 23.50 MB (0%)");
        assertThat(ReplicaTools.cloneProgress("waiting for checkpoint")).isEmpty();
    }
}
