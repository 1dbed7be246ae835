package dev.pgha.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * A run that names a command gets a root holding that command alone (building every command's model costs the daemon's
 * start and each short command ~140 ms): what the user sees is the same as from the whole tree.
 */
class CommandTreeTest {
    private static final CommandLine WHOLE = new CommandLine(new Main());

    @Test
    void aNamedCommandGetsARootWithThatCommandAlone() {
        for (String name : commands()) {
            CommandLine cli = Main.commandLine(name);
            assertThat(cli.getSubcommands().keySet()).as(name).containsExactly(name);
            assertThat(cli.getSubcommands().get(name).getCommandSpec().qualifiedName())
                    .isEqualTo("pgha " + name);
        }
    }

    @Test
    void everyCommandsHelpAndUsageErrorsReadTheSameAsFromTheWholeTree() {
        for (String name : commands()) {
            assertSameOutcome(name, "--help");
            assertSameOutcome(name, "--no-such-option");
            for (String sub : WHOLE.getSubcommands().get(name).getSubcommands().keySet()) {
                assertSameOutcome(name, sub, "--help");
                assertSameOutcome(name, sub, "--no-such-option");
            }
        }
    }

    @Test
    void helpCompletionATypoAndNoCommandGetTheWholeTree() {
        for (String first : new String[] {"help", "completion", "statu", "--version", null}) {
            assertThat(Main.commandLine(first).getSubcommands().keySet())
                    .as(String.valueOf(first))
                    .containsAll(WHOLE.getSubcommands().keySet());
        }
        assertSameOutcome("statu");
    }

    private static List<String> commands() {
        return WHOLE.getSubcommands().keySet().stream()
                .filter(n -> !n.equals("help") && !n.equals("completion"))
                .toList();
    }

    /** Exit code, stdout and stderr of {@code args} through the whole tree and through the root for args[0]. */
    private static void assertSameOutcome(String... args) {
        assertThat(outcome(Main.commandLine(args[0]), args))
                .as(String.join(" ", args))
                .isEqualTo(outcome(new CommandLine(new Main()), args));
    }

    private static Map<String, Object> outcome(CommandLine cli, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cli.setOut(new PrintWriter(out));
        cli.setErr(new PrintWriter(err));
        int code = cli.execute(args);
        return Map.of("code", code, "out", out.toString(), "err", err.toString());
    }
}
