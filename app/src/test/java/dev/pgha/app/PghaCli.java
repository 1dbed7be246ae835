package dev.pgha.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs a {@code pgha} command from the built jar, as an operator would on a node (with that node's environment). */
final class PghaCli {
    record Result(int code, String out, String err) {
        @Override
        public String toString() {
            return "exit " + code + "\nstdout:\n" + out + "stderr:\n" + err;
        }
    }

    private PghaCli() {}

    /** With {@code node}'s environment (its data directory, ports and store); null = an empty environment. */
    static Result run(PghaNode node, String... args) throws IOException, InterruptedException {
        return runWithInput(node, null, args);
    }

    static Result runWithInput(PghaNode node, String stdin, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(
                ProcessHandle.current().info().command().orElse("java"),
                "-XX:TieredStopAtLevel=1",
                "-XX:+UseSerialGC",
                "-jar",
                PghaNode.jar().toString()));
        cmd.addAll(List.of(args));
        Path out = Files.createTempFile("pgha-cli", ".out");
        Path err = Files.createTempFile("pgha-cli", ".err");
        try {
            ProcessBuilder pb =
                    new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile());
            pb.environment().clear();
            pb.environment().put("PATH", System.getenv().getOrDefault("PATH", "/usr/bin:/bin"));
            pb.environment().put("LANG", "C.UTF-8"); // as ./pgha sets it: non-ASCII arguments reach Java intact
            if (node != null) {
                pb.environment().putAll(node.env);
            }
            if (stdin == null) {
                pb.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
            }
            Process p = pb.start();
            if (stdin != null) {
                p.getOutputStream().write(stdin.getBytes(StandardCharsets.UTF_8));
                p.getOutputStream().close();
            }
            assertThat(p.waitFor(180, TimeUnit.SECONDS))
                    .as("pgha " + String.join(" ", args) + " finished")
                    .isTrue();
            return new Result(p.exitValue(), Files.readString(out), Files.readString(err));
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }
}
