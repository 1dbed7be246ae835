package dev.pgha.app.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Progress for people at a terminal (a bar redrawn in place), plain lines for logs and pipes. */
class ProgressLineTest {
    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            cloning member b: 1.20 GB of 4.00 GB (30%) | [#######-----------------]  30% cloning member b: 1.20 GB of 4.00 GB (30%)
            member a is taking the backup: 100% copied | [########################] 100% member a is taking the backup: 100% copied
            member a is taking the backup: 0.4% copied | [------------------------]   0% member a is taking the backup: 0.4% copied
            waiting for the leader to take the backup   | waiting for the leader to take the backup
            """)
    void aBarWhenTheTextSaysHowFarItGot(String text, String rendered) {
        assertThat(ProgressLine.render(text)).isEqualTo(rendered);
    }

    @Test
    void atATerminalOneLineIsRedrawnInPlaceAndEndedOnce() {
        StringWriter w = new StringWriter();
        ProgressLine p = new ProgressLine(new PrintWriter(w), true, Duration.ofSeconds(5));
        p.show("step one (10%)");
        p.show("step one (10%)");
        p.show("two (50%)");
        p.end();
        assertThat(w.toString())
                .isEqualTo("\r[##----------------------]  10% step one (10%)"
                        + "\r[############------------]  50% two (50%)     \n");
    }

    @Test
    void elsewherePlainLinesEachPhaseAtOnceItsFiguresAtMostEveryFewSeconds() throws Exception {
        StringWriter w = new StringWriter();
        ProgressLine p = new ProgressLine(new PrintWriter(w), false, Duration.ofSeconds(1));
        p.show("waiting");
        p.show("copying 1 GB (10%)");
        p.show("copying 2 GB (20%)"); // only figures changed, too soon: skipped
        Thread.sleep(1100);
        p.show("copying 3 GB (30%)");
        p.show("done");
        p.end();
        assertThat(w.toString()).isEqualTo("waiting\ncopying 1 GB (10%)\ncopying 3 GB (30%)\ndone\n");
    }

    @Test
    void aDumbTerminalGetsPlainLines() {
        assertThat(ProgressLine.terminal(Map.of("TERM", "xterm"), true)).isTrue();
        assertThat(ProgressLine.terminal(Map.of("TERM", "dumb"), true)).isFalse();
        assertThat(ProgressLine.terminal(Map.of(), false)).isFalse();
    }
}
