package dev.pgha.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * The man pages the build generates (app/pom.xml: picocli-codegen, then asciidoctor): one per command, in troff, with
 * the command's synopsis and options. Runs after `package`, like the other ITs.
 */
class ManPagesIT {
    private static final Path MAN1 = Path.of("target", "man", "man1");

    @Test
    void everyCommandHasATroffPageWithItsSynopsisAndOptions() throws Exception {
        assertThat(MAN1)
                .as(
                        "the build writes the man pages here; without asciidoctor (scripts/setup.sh installs it) it skips them")
                .isDirectory();
        List<String> names = new ArrayList<>();
        collect(new CommandLine(new Main()), "pgha", names);
        assertThat(names).contains("pgha-switchover", "pgha-config-hba-add", "pgha-pause");
        for (String name : names) {
            Path page = MAN1.resolve(name + ".1");
            assertThat(page).as(name).isRegularFile();
            String troff = Files.readString(page);
            assertThat(troff)
                    .as(name)
                    .contains(".TH \"" + name.toUpperCase().replace("-", "\\-") + "\" \"1\"")
                    .contains(".SH \"SYNOPSIS\"")
                    .contains("pgha Manual");
        }
        assertThat(Files.readString(MAN1.resolve("pgha-switchover.1")))
                .contains("\\fB\\-\\-to\\fP=\\fIMEMBER\\fP")
                .contains("The member to promote");
    }

    private static void collect(CommandLine c, String name, List<String> names) {
        names.add(name);
        c.getSubcommands().forEach((sub, cl) -> collect(cl, name + "-" + sub, names));
    }
}
