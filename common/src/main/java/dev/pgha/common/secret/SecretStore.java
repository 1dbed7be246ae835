package dev.pgha.common.secret;

import com.fasterxml.jackson.core.type.TypeReference;
import dev.pgha.common.PghaException;
import dev.pgha.common.config.PghaConfig;
import dev.pgha.common.fs.PrivateFiles;
import dev.pgha.common.model.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Resolves the three role passwords: a configured one (environment or config file) wins; a missing one is read from
 * {@code $dataDir/pgha/secrets}, or generated once (192 random bits) and stored there with mode 0600.
 */
public final class SecretStore {
    public static final String FILE_NAME = "secrets";
    private static final String SHOWN_MARKER = "credentials-shown";
    private static final String STORE_SECRET = "storeSecret";
    private static final int RANDOM_BYTES = 24;
    private static final SecureRandom RANDOM = new SecureRandom();

    private final Path dir;

    public SecretStore(Path stateDir) {
        this.dir = stateDir;
    }

    public Credentials resolve(PghaConfig.Secrets configured) {
        Map<String, String> stored = readStored();
        Map<String, String> toStore = new LinkedHashMap<>(stored);
        Set<String> generated = new LinkedHashSet<>();
        Secret su = pick("suPassword", configured.suPassword(), stored, toStore, generated);
        Secret repl = pick("replPassword", configured.replPassword(), stored, toStore, generated);
        Secret operator = pick("operatorPassword", configured.operatorPassword(), stored, toStore, generated);
        if (!toStore.equals(stored)) {
            try {
                PrivateFiles.write(file(), Json.write(toStore));
            } catch (IOException e) {
                throw new PghaException("cannot store generated passwords in " + file() + ": " + e.getMessage());
            }
        }
        Set<String> generatedEver = new LinkedHashSet<>(generated);
        stored.keySet().stream().filter(k -> !isConfigured(k, configured)).forEach(generatedEver::add);
        return new Credentials(su, repl, operator, generatedEver);
    }

    /**
     * The store secret (what pgha authenticates with at ZooKeeper): configured (PGHA_STORE_SECRET) wins; else the one
     * stored here; else a new one, stored here. A single node ({@code shared} null) generates it. Members of a
     * multi-node cluster must all arrive at the same value without another setting, so they derive it from the
     * passwords they already share (PBKDF2-HMAC-SHA256, salted with the cluster name) and keep it: a password rotated
     * later does not change it, and a member added after a rotation is given PGHA_STORE_SECRET.
     *
     * @param shared the cluster's shared passwords, or null on a single node
     */
    public Secret storeSecret(PghaConfig.Secrets configured, String cluster, Credentials shared) {
        if (configured.storeSecret().isPresent()) {
            return configured.storeSecret().get();
        }
        Map<String, String> stored = readStored();
        String value = stored.get(STORE_SECRET);
        if (value != null) {
            return Secret.of(value);
        }
        value = shared == null ? random() : StoreSecretKdf.derive(cluster, shared);
        stored.put(STORE_SECRET, value);
        try {
            PrivateFiles.write(file(), Json.write(stored));
        } catch (IOException e) {
            throw new PghaException("cannot store the store secret in " + file() + ": " + e.getMessage());
        }
        return Secret.of(value);
    }

    /**
     * The store secret for an admin command on a node: configured, else stored here; never generated. Empty when
     * neither exists or the file is not readable.
     */
    public Optional<Secret> existingStoreSecret(PghaConfig.Secrets configured) {
        if (configured.storeSecret().isPresent()) {
            return configured.storeSecret();
        }
        if (!Files.isReadable(file())) {
            return Optional.empty();
        }
        return Optional.ofNullable(readStored().get(STORE_SECRET)).map(Secret::of);
    }

    /**
     * The superuser password pgha uses, for admin commands: configured (SU_PASSWORD), else stored here; never
     * generated. Empty when neither exists or the stored file is not readable (not root on a node, or elsewhere).
     */
    public Optional<Secret> existingSuPassword(PghaConfig.Secrets configured) {
        return existing("suPassword", configured.suPassword());
    }

    /** The operator's password (OPERATOR_PASSWORD, role postgres), found the same way, for `pgha connect`. */
    public Optional<Secret> existingOperatorPassword(PghaConfig.Secrets configured) {
        return existing("operatorPassword", configured.operatorPassword());
    }

    private Optional<Secret> existing(String key, Optional<Secret> configured) {
        if (configured.isPresent()) {
            return configured;
        }
        if (!Files.isReadable(file())) {
            return Optional.empty();
        }
        return Optional.ofNullable(readStored().get(key)).map(Secret::of);
    }

    /** True until {@link #markShown()}: generated passwords have not been shown to the user yet. */
    public boolean shown() {
        return Files.exists(dir.resolve(SHOWN_MARKER));
    }

    public void markShown() throws IOException {
        PrivateFiles.write(dir.resolve(SHOWN_MARKER), new byte[0]);
    }

    public Path file() {
        return dir.resolve(FILE_NAME);
    }

    private static Secret pick(
            String key,
            Optional<Secret> configured,
            Map<String, String> stored,
            Map<String, String> toStore,
            Set<String> generated) {
        if (configured.isPresent()) {
            return configured.get();
        }
        String value = stored.get(key);
        if (value == null) {
            value = random();
            toStore.put(key, value);
            generated.add(key);
        }
        return Secret.of(value);
    }

    private static String random() {
        byte[] bytes = new byte[RANDOM_BYTES];
        RANDOM.nextBytes(bytes);
        return HexFormat.of().formatHex(bytes);
    }

    private static boolean isConfigured(String key, PghaConfig.Secrets configured) {
        return switch (key) {
            case "suPassword" -> configured.suPassword().isPresent();
            case "replPassword" -> configured.replPassword().isPresent();
            case "operatorPassword" -> configured.operatorPassword().isPresent();
            default -> true; // the store secret is never shown in the banner
        };
    }

    private Map<String, String> readStored() {
        Path file = file();
        try {
            String problem = PrivateFiles.untrusted(file);
            if (problem != null) {
                throw new PghaException(
                        "refusing to read passwords from a file someone else could have written: " + problem);
            }
        } catch (IOException e) {
            throw new PghaException("cannot check " + file + ": " + e.getMessage());
        }
        if (!Files.exists(file)) {
            return new LinkedHashMap<>();
        }
        try {
            return new LinkedHashMap<>(
                    Json.mapper().readValue(Files.readAllBytes(file), new TypeReference<Map<String, String>>() {}));
        } catch (IOException e) {
            // The parser's message could quote file content, i.e. a password: name the file only.
            throw new PghaException("cannot read stored passwords from " + file
                    + ": the file is damaged or unreadable; restore it, or set SU_PASSWORD, REPL_PASSWORD and "
                    + "OPERATOR_PASSWORD to the cluster's passwords");
        }
    }
}
