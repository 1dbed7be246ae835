package dev.pgha.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** `pgha completion`: the script loads in a real bash without errors and completes commands and options. */
class CompletionTest {

    @Test
    void theBashScriptLoadsAndCompletesCommandsAndOptions(@TempDir Path dir) throws Exception {
        StringWriter script = new StringWriter();
        CommandLine cli = new CommandLine(new Main());
        cli.setOut(new PrintWriter(script));
        assertThat(cli.execute("completion", "bash")).isZero();
        Path file = dir.resolve("pgha.bash");
        Files.writeString(file, script.toString());
        assertThat(complete(file, "pgha sw")).isEqualTo("switchover");
        assertThat(complete(file, "pgha status --wa")).isEqualTo("--watch");
        assertThat(complete(file, "pgha backup cr")).isEqualTo("create");
    }

    @Test
    void anotherShellIsRefused() {
        StringWriter err = new StringWriter();
        CommandLine cli = new CommandLine(new Main());
        cli.setErr(new PrintWriter(err));
        assertThat(cli.execute("completion", "fish")).isEqualTo(2);
        assertThat(err.toString()).contains("SHELL must be bash or zsh, not fish");
    }

    /** What bash offers for the last word of {@code line}, with errors on stderr failing the test. */
    private static String complete(Path script, String line) throws Exception {
        String[] words = line.split(" ");
        // compopt works only while bash itself runs a completion: a no-op stands in for it when the function is
        // called directly; `complete -p pgha` shows the script registered its function
        String program = "set -e; source '" + script + "'; complete -p pgha >/dev/null; compopt() { :; }; "
                + "COMP_WORDS=(" + line + "); COMP_CWORD="
                + (words.length - 1) + "; COMP_LINE='" + line + "'; COMP_POINT=" + line.length()
                + "; _complete_pgha pgha '" + words[words.length - 1] + "' '" + words[words.length - 2]
                + "'; echo \"${COMPREPLY[*]}\"";
        Process p = new ProcessBuilder("bash", "-c", program).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(err).isEmpty();
        assertThat(p.exitValue()).isZero();
        return out;
    }
}
