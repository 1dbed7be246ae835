package dev.pgha.app.cli;

import dev.pgha.common.PghaException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;

/**
 * What the commands that run libpq's tools (psql, pg_dump, pg_restore) share: connection-string quoting, and passwords
 * handed over in a private password file (0600, deleted afterwards) — never on a command line, where `ps` shows them.
 */
final class Libpq {
    private Libpq() {}

    /** A value in a keyword=value connection string, single-quoted with backslash escapes. */
    static String quote(String value) {
        return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'";
    }

    /** A line of a password file: host:port:database:user:password, each field escaped. */
    static String passfileLine(String host, int port, String user, String password) {
        return field(host) + ":" + port + ":*:" + field(user) + ":" + field(password);
    }

    private static String field(String value) {
        return value.replace("\\", "\\\\").replace(":", "\\:");
    }

    /** A new private password file holding {@code lines}; delete it with {@link #delete(Path)}. */
    static Path passfile(List<String> lines) {
        try {
            Path f = Files.createTempFile(
                    "pgha-pgpass",
                    ".conf",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            Files.writeString(f, String.join("\n", lines) + "\n", StandardCharsets.UTF_8);
            return f;
        } catch (IOException e) {
            throw new PghaException("cannot write a private password file: " + e.getMessage());
        }
    }

    static void delete(Path passfile) {
        if (passfile == null) {
            return;
        }
        try {
            Files.deleteIfExists(passfile);
        } catch (IOException e) {
            passfile.toFile().deleteOnExit();
        }
    }

    /** A tool's process: the caller's environment cut down to {@code kept}, and the password file. */
    static ProcessBuilder tool(List<String> command, Path passfile, List<String> kept) {
        ProcessBuilder pb = new ProcessBuilder(command);
        pb.environment().keySet().retainAll(kept);
        pb.environment().put("PGPASSFILE", passfile.toString());
        return pb;
    }
}
