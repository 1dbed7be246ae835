package dev.pgha.keeper;

import dev.pgha.common.secret.Secret;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.postgresql.util.PasswordUtil;

/**
 * Whether a SCRAM-SHA-256 verifier as postgres stores it ({@code SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:
 * <ServerKey>}) is the one of a password: the verifier computed again with its own salt and iteration count.
 */
final class ScramVerifier {
    private static final Pattern FORMAT =
            Pattern.compile("SCRAM-SHA-256\\$(\\d{1,9}):([A-Za-z0-9+/=]{4,64})\\$[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+");
    /** More iterations than this are not checked (the answer is "no": the password is set again), bounding the work. */
    static final int MAX_ITERATIONS = 100_000;
    /**
     * Verifiers already found to verify a password, with that password: the same verifier and the same secret need
     * no second computation (PBKDF2, 6-13 ms each here, three of them when a standby becomes the leader). Bounded: a
     * verifier changes only when a password is set.
     */
    private static final Map<String, Secret> VERIFIED = new ConcurrentHashMap<>();

    private static final int VERIFIED_MAX = 64;

    private ScramVerifier() {}

    /** True when {@code stored} (null: none) verifies {@code password}; false for anything else, MD5 included. */
    static boolean matches(String stored, Secret password) {
        if (stored == null) {
            return false;
        }
        if (password.equals(VERIFIED.get(stored))) {
            return true;
        }
        boolean matches = compute(stored, password);
        if (matches) {
            if (VERIFIED.size() >= VERIFIED_MAX) {
                VERIFIED.clear();
            }
            VERIFIED.put(stored, password);
        }
        return matches;
    }

    private static boolean compute(String stored, Secret password) {
        Matcher m = FORMAT.matcher(stored);
        if (!m.matches()) {
            return false;
        }
        int iterations = Integer.parseInt(m.group(1));
        if (iterations < 1 || iterations > MAX_ITERATIONS) {
            return false;
        }
        byte[] salt;
        try {
            salt = Base64.getDecoder().decode(m.group(2));
        } catch (IllegalArgumentException e) {
            return false;
        }
        String computed = PasswordUtil.encodeScramSha256(password.revealChars(), iterations, salt);
        return MessageDigest.isEqual(
                computed.getBytes(StandardCharsets.US_ASCII), stored.getBytes(StandardCharsets.US_ASCII));
    }
}
