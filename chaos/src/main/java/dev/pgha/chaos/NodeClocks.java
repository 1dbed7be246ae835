package dev.pgha.chaos;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * The nodes' wall clocks, set wrong on purpose for the clock-skew fault: every daemon runs with Debian's libfaketime
 * preloaded, reading its offset from a file of its own (re-read every second), so a node's clock can jump 30 s ahead
 * or behind and back while it runs. Only the wall clock moves: the monotonic clock, which pgha times everything
 * that matters with, stays true. Postgres does not inherit it (the keeper starts postgres with a clean environment).
 */
final class NodeClocks {
    private final Path dir;
    private final Path library;

    private NodeClocks(Path dir, Path library) {
        this.dir = dir;
        this.library = library;
    }

    /** Clocks for nodes started with {@link #environment}; every offset starts at zero. */
    static NodeClocks in(Path dir, int nodes) {
        Path library = library().orElseThrow(() -> new IllegalStateException(missing()));
        NodeClocks clocks = new NodeClocks(dir, library);
        for (int i = 1; i <= nodes; i++) {
            clocks.reset(i);
        }
        return clocks;
    }

    /** Debian's libfaketime, in this machine's multiarch directory, when installed. */
    static Optional<Path> library() {
        try (Stream<Path> dirs = Files.list(Path.of("/usr/lib"))) {
            return dirs.map(d -> d.resolve("faketime/libfaketime.so.1"))
                    .filter(Files::isRegularFile)
                    .findFirst();
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    static String missing() {
        return "the chaos suite's clock-skew fault needs libfaketime: apt-get install -y libfaketime";
    }

    /** What node {@code i}'s daemon runs with. */
    Map<String, String> environment(int i) {
        return Map.of(
                "LD_PRELOAD", library.toString(),
                "FAKETIME_TIMESTAMP_FILE", file(i).toString(),
                "FAKETIME_CACHE_DURATION", "1",
                "FAKETIME_DONT_FAKE_MONOTONIC", "1",
                // Debian's build turns its "monotonic fix" on for this glibc, which shifts the deadlines of the JVM's
                // timed waits by the offset: they all return at once and the daemon spins on every core.
                "FAKETIME_FORCE_MONOTONIC_FIX", "0");
    }

    /** Node {@code i}'s wall clock runs {@code seconds} ahead (negative: behind) from within a second. */
    void skew(int i, int seconds) {
        write(i, (seconds >= 0 ? "+" : "") + seconds + "s");
    }

    void reset(int i) {
        write(i, "+0");
    }

    private void write(int i, String offset) {
        try {
            Files.writeString(file(i), offset + "\n");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot set the clock of node " + i, e);
        }
    }

    private Path file(int i) {
        return dir.resolve("n" + i + ".faketime");
    }
}
