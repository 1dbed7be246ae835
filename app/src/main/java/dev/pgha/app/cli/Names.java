package dev.pgha.app.cli;

import dev.pgha.common.PghaException;
import java.nio.charset.StandardCharsets;
import java.util.Set;

/**
 * Names of users and databases come from operators and scripts: any text postgres accepts is allowed (it is always
 * quoted on the way into SQL), but an empty name, one with a NUL, or one longer than postgres's 63 bytes (which it
 * would silently truncate, so the object would not have the name asked for) is refused.
 */
final class Names {
    /** Roles pgha itself relies on: never dropped or taken over by the admin commands. */
    static final Set<String> RESERVED_ROLES = Set.of("flypgadmin", "repluser", "postgres");
    /** Databases that must stay. */
    static final Set<String> RESERVED_DATABASES = Set.of("postgres", "template0", "template1");

    private static final int MAX_BYTES = 63;

    private Names() {}

    static String check(String kind, String name) {
        if (name == null || name.isEmpty()) {
            throw new PghaException(kind + " name is empty");
        }
        if (name.indexOf('\0') >= 0) {
            throw new PghaException(kind + " name contains a NUL character");
        }
        int bytes = name.getBytes(StandardCharsets.UTF_8).length;
        if (bytes > MAX_BYTES) {
            throw new PghaException(kind + " name is " + bytes + " bytes long; postgres keeps only " + MAX_BYTES
                    + " and would truncate it: choose a shorter one");
        }
        return name;
    }

    /** The default user and database name for an app: my-app -> my_app. */
    static String forApp(String app) {
        return app.replace('-', '_');
    }

    /** Percent-encoding for the user and database parts of a URL (any name postgres accepts). */
    static String inUrl(String name) {
        return java.net.URLEncoder.encode(name, java.nio.charset.StandardCharsets.UTF_8)
                .replace("+", "%20");
    }
}
