package dev.pgha.app;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/** The real psql client, run as a user would run it. */
final class PgTools {
    private PgTools() {}

    static Path binDir() throws IOException {
        try (Stream<Path> versions = Files.list(Path.of("/usr/lib/postgresql"))) {
            return versions.map(v -> v.resolve("bin"))
                    .filter(b -> Files.isExecutable(b.resolve("psql")))
                    .max(Comparator.comparing(Path::toString))
                    .orElseThrow(() -> new IllegalStateException("no psql under /usr/lib/postgresql"));
        }
    }

    /** Runs {@code psql -Atc sql} against {@code url}; returns exit code and output. */
    static Result psql(String url, String sql) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(
                        binDir().resolve("psql").toString(), "-X", "-At", "-v", "ON_ERROR_STOP=1", "-c", sql, url)
                .redirectErrorStream(true);
        pb.environment().put("PGCONNECT_TIMEOUT", "5");
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("psql did not finish: " + out);
        }
        return new Result(p.exitValue(), out.strip());
    }

    record Result(int exitCode, String output) {
        List<String> lines() {
            return output.lines().toList();
        }
    }
}
