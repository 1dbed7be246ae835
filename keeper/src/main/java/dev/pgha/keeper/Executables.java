package dev.pgha.keeper;

import dev.pgha.common.PghaException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.stream.Stream;

/** Finds system tools by absolute path, independent of the daemon's PATH. */
final class Executables {
    private static final String[] SYSTEM_DIRS = {"/usr/bin", "/bin", "/usr/sbin", "/sbin", "/usr/local/bin"};

    private Executables() {}

    /** Searches {@code pathEnv} (a PATH value), or the system directories when it is null. */
    static Optional<Path> find(String name, String pathEnv) {
        Stream<String> dirs = pathEnv == null ? Stream.of(SYSTEM_DIRS) : Stream.of(pathEnv.split(":"));
        return dirs.filter(d -> !d.isEmpty())
                .map(d -> Path.of(d, name))
                .filter(Files::isExecutable)
                .findFirst();
    }

    /** A tool every Debian system has (util-linux, coreutils); missing means a broken image. */
    static Path require(String name, String packageName) {
        return find(name, null)
                .orElseThrow(() -> new PghaException(
                        name + " not found in /usr/bin or /bin: install it (apt-get install -y " + packageName + ")"));
    }
}
