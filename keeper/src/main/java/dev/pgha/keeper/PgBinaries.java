package dev.pgha.keeper;

import dev.pgha.common.PghaException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/** The PostgreSQL server installation pgha drives: a bin directory holding postgres, initdb, pg_ctl ... */
public record PgBinaries(Path binDir, int majorVersion) {
    private static final List<String> REQUIRED = List.of("postgres", "initdb", "pg_controldata");
    private static final Pattern VERSION = Pattern.compile("\\(PostgreSQL\\) (\\d+)");
    private static final String INSTALL_HINT = "install them (apt-get install -y postgresql-15) or set PGHA_PG_BIN_DIR";

    public Path tool(String name) {
        return binDir.resolve(name);
    }

    /**
     * Finds the binaries: {@code configured} (PGHA_PG_BIN_DIR) if given, else {@code pg_config --bindir} from PATH,
     * else the newest {@code installRoot/<version>/bin}.
     */
    public static PgBinaries locate(Optional<Path> configured, Path installRoot, String pathEnv) {
        if (configured.isPresent()) {
            Path dir = configured.get();
            if (!complete(dir)) {
                throw new PghaException(
                        "PGHA_PG_BIN_DIR " + dir + " does not hold executable " + String.join(", ", REQUIRED)
                                + ": point it at a PostgreSQL bin directory such as /usr/lib/postgresql/15/bin");
            }
            return withVersion(dir);
        }
        Optional<Path> fromPgConfig = Executables.find("pg_config", pathEnv)
                .flatMap(PgBinaries::bindirOf)
                .filter(PgBinaries::complete);
        if (fromPgConfig.isPresent()) {
            return withVersion(fromPgConfig.get());
        }
        Optional<Path> newest = newestUnder(installRoot);
        if (newest.isPresent()) {
            return withVersion(newest.get());
        }
        throw new PghaException("PostgreSQL server binaries not found: no pg_config on PATH and no " + installRoot
                + "/<version>/bin/postgres; " + INSTALL_HINT);
    }

    private static Optional<Path> bindirOf(Path pgConfig) {
        ProcessRunner.Result r = ProcessRunner.run(List.of(pgConfig.toString(), "--bindir"), Duration.ofSeconds(10));
        return r.ok() && !r.output().isEmpty()
                ? Optional.of(Path.of(r.output().get(0).strip()))
                : Optional.empty();
    }

    private static Optional<Path> newestUnder(Path root) {
        if (!Files.isDirectory(root)) {
            return Optional.empty();
        }
        try (Stream<Path> versions = Files.list(root)) {
            return versions.filter(p -> p.getFileName().toString().matches("\\d+(\\.\\d+)?"))
                    .map(p -> p.resolve("bin"))
                    .filter(PgBinaries::complete)
                    .max(Comparator.comparingDouble(
                            p -> Double.parseDouble(p.getParent().getFileName().toString())));
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    private static boolean complete(Path dir) {
        return REQUIRED.stream().allMatch(tool -> Files.isExecutable(dir.resolve(tool)));
    }

    private static PgBinaries withVersion(Path dir) {
        ProcessRunner.Result r =
                ProcessRunner.run(List.of(dir.resolve("postgres").toString(), "--version"), Duration.ofSeconds(10));
        Matcher m = VERSION.matcher(String.join(" ", r.output()));
        if (!r.ok() || !m.find()) {
            throw new PghaException(dir.resolve("postgres") + " --version failed (" + r.tail(2) + "); " + INSTALL_HINT);
        }
        int major = Integer.parseInt(m.group(1));
        if (major < 13) {
            throw new PghaException(
                    "PostgreSQL " + major + " in " + dir + " is too old: pgha needs 13 or newer; " + INSTALL_HINT);
        }
        return new PgBinaries(dir, major);
    }
}
