package dev.pgha.keeper;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

/** Facts about PGDATA read from disk, without postgres running. */
public final class DataDirectory {
    private final Path pgdata;
    private final Path initMarker;

    /**
     * @param initMarker file that exists while initdb runs: a PGDATA left with it was never complete and is redone
     */
    public DataDirectory(Path pgdata, Path initMarker) {
        this.pgdata = pgdata;
        this.initMarker = initMarker;
    }

    public Path path() {
        return pgdata;
    }

    public Path initMarker() {
        return initMarker;
    }

    /** PGDATA holds a complete cluster. */
    public boolean initialized() {
        return Files.exists(pgdata.resolve("PG_VERSION"))
                && Files.exists(pgdata.resolve("global/pg_control"))
                && !Files.exists(initMarker);
    }

    /**
     * The database system identifier from global/pg_control (its first 8 bytes, native order). Its high 32 bits are
     * the initdb time in seconds, so it also tells which cluster was created first.
     */
    public OptionalLong systemIdentifier() {
        ByteBuffer control = controlFile(8);
        return control == null ? OptionalLong.empty() : OptionalLong.of(control.getLong(0));
    }

    /** pg_control's DBState value for a clean shutdown (DB_SHUTDOWNED). */
    private static final int DB_SHUTDOWNED = 1;

    /**
     * Where the WAL of a cleanly shut down cluster ends: the location of its shutdown checkpoint record (pg_control's
     * checkPoint), or empty when postgres did not shut down cleanly (crashed, or still running). pg_control of
     * PostgreSQL 15: system_identifier (8 bytes), pg_control_version (4), catalog_version_no (4), state (4),
     * padding, time (8, at 24), checkPoint (8, at 32), in the machine's byte order.
     */
    public OptionalLong cleanShutdownCheckpoint() {
        ByteBuffer control = controlFile(40);
        if (control == null || control.getInt(16) != DB_SHUTDOWNED) {
            return OptionalLong.empty();
        }
        return OptionalLong.of(control.getLong(32));
    }

    private ByteBuffer controlFile(int length) {
        byte[] head = new byte[length];
        try (var in = Files.newInputStream(pgdata.resolve("global/pg_control"))) {
            if (in.readNBytes(head, 0, length) != length) {
                return null;
            }
        } catch (IOException e) {
            return null;
        }
        return ByteBuffer.wrap(head).order(ByteOrder.nativeOrder());
    }

    /** The postmaster's lock file: line 1 pid, line 8 status (e.g. "ready"). */
    public record PostmasterPid(long pid, String status) {
        public boolean ready() {
            return status.strip().equals("ready");
        }
    }

    public Optional<PostmasterPid> postmasterPid() {
        Path file = pgdata.resolve("postmaster.pid");
        try {
            List<String> lines = Files.readAllLines(file);
            if (lines.isEmpty() || !lines.get(0).strip().matches("\\d+")) {
                return Optional.empty();
            }
            return Optional.of(
                    new PostmasterPid(Long.parseLong(lines.get(0).strip()), lines.size() >= 8 ? lines.get(7) : ""));
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    public void removePostmasterPid() throws IOException {
        Files.deleteIfExists(pgdata.resolve("postmaster.pid"));
    }

    /** True when {@code pid} is a live postgres whose working directory is this PGDATA (postgres chdirs there). */
    public boolean isPostmasterOfThisDirectory(long pid) {
        Path proc = Path.of("/proc", Long.toString(pid));
        try {
            return Files.isSameFile(Files.readSymbolicLink(proc.resolve("cwd")), pgdata)
                    && new String(Files.readAllBytes(proc.resolve("cmdline"))).contains("postgres");
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }
}
