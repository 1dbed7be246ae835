package dev.pgha.common.config;

import dev.pgha.common.PghaException;
import dev.pgha.common.fs.PrivateFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Optional;

/**
 * The member id belongs to the data directory: it is kept in {@code $dataDir/pgha/node-id} so that a restarted
 * daemon is the same member. PGHA_NODE_ID may name it the first time; later it must agree with the stored one.
 */
public final class NodeIdentity {
    public static final String FILE_NAME = "node-id";
    private static final SecureRandom RANDOM = new SecureRandom();

    private NodeIdentity() {}

    public static String resolve(Path stateDir, Optional<String> configured, String hostname) {
        Path file = stateDir.resolve(FILE_NAME);
        Optional<String> stored = read(file);
        if (stored.isPresent()) {
            if (configured.isPresent() && !configured.get().equals(stored.get())) {
                throw new PghaException(
                        "PGHA_NODE_ID is \"" + configured.get() + "\" but the data directory belongs to " + "member \""
                                + stored.get() + "\" (" + file + "): use that id, or a fresh data directory");
            }
            return stored.get();
        }
        String id = configured.orElseGet(() -> generate(hostname));
        try {
            PrivateFiles.write(file, (id + "\n").getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new PghaException("cannot store the node id in " + file + ": " + e.getMessage());
        }
        return id;
    }

    /** A readable id: the host name cut to a valid name, plus 6 random hex digits so copies of one image differ. */
    static String generate(String hostname) {
        String base = hostname.toLowerCase(Locale.ROOT)
                .replaceAll("[^a-z0-9-]", "-")
                .replaceAll("-+", "-")
                .replaceAll("^-|-$", "");
        if (base.length() > 32) {
            base = base.substring(0, 32).replaceAll("-$", "");
        }
        byte[] suffix = new byte[3];
        RANDOM.nextBytes(suffix);
        return (base.isEmpty() || base.equals("localhost") ? "pgha" : base) + "-"
                + HexFormat.of().formatHex(suffix);
    }

    private static Optional<String> read(Path file) {
        if (!Files.exists(file)) {
            return Optional.empty();
        }
        try {
            String id = Files.readString(file, StandardCharsets.UTF_8).trim();
            if (id.isEmpty()) {
                throw new PghaException(
                        file + " is empty: delete it to have a new id generated, or write the member id into it");
            }
            return Optional.of(id);
        } catch (IOException e) {
            throw new PghaException("cannot read the node id from " + file + ": " + e.getMessage());
        }
    }
}
