package dev.pgha.keeper;

import dev.pgha.common.fs.PrivateFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * postgresql.auto.conf (where ALTER SYSTEM writes) as it was when postgres last started: what a failed start goes
 * back to. The file is rewritten in place, so it keeps its owner (postgres's user) and mode.
 */
final class AutoConfSnapshot {
    static final String FILE = "postgresql.auto.conf";

    private final byte[] content;

    private AutoConfSnapshot(byte[] content) {
        this.content = content;
    }

    static AutoConfSnapshot read(Path pgdata) throws IOException {
        try {
            return new AutoConfSnapshot(Files.readAllBytes(pgdata.resolve(FILE)));
        } catch (NoSuchFileException e) {
            return new AutoConfSnapshot(new byte[0]);
        }
    }

    /** The settings in it, by name (lower case), values unquoted. */
    Map<String, String> values() {
        Map<String, String> values = new TreeMap<>();
        for (String line : new String(content, StandardCharsets.UTF_8).split("\n")) {
            String l = line.strip();
            int eq = l.indexOf('=');
            if (l.startsWith("#") || eq <= 0) {
                continue;
            }
            values.put(l.substring(0, eq).strip().toLowerCase(Locale.ROOT), unquote(l.substring(eq + 1)));
        }
        return values;
    }

    /** Puts this content back (a new file owned by {@code user}: never written through a link postgres planted). */
    void restore(Path pgdata, PostgresOsUser user) throws IOException {
        Path file = pgdata.resolve(FILE);
        PrivateFiles.write(file, content);
        user.own(file);
    }

    /** ALTER SYSTEM writes 'value', doubling quotes and backslashes in it. */
    private static String unquote(String raw) {
        String v = raw.strip();
        if (v.length() >= 2 && v.startsWith("'") && v.endsWith("'")) {
            return v.substring(1, v.length() - 1).replace("''", "'").replace("\\\\", "\\");
        }
        return v;
    }
}
