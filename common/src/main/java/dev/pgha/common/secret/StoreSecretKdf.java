package dev.pgha.common.secret;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.Arrays;
import java.util.HexFormat;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;

/**
 * Derives a multi-node cluster's store secret from the passwords its members already share: PBKDF2-HMAC-SHA256,
 * 210 000 iterations (OWASP's figure for it), salted with the cluster name, 256 bits. The same inputs give the same
 * secret on every member; nothing about the passwords can be learned from it faster than by guessing them.
 */
final class StoreSecretKdf {
    private static final int ITERATIONS = 210_000;
    private static final int BITS = 256;

    private StoreSecretKdf() {}

    static String derive(String cluster, Credentials shared) {
        char[] input = (shared.suPassword().reveal() + "\n"
                        + shared.replPassword().reveal() + "\n"
                        + shared.operatorPassword().reveal())
                .toCharArray();
        byte[] salt = ("pgha store secret\n" + cluster).getBytes(StandardCharsets.UTF_8);
        PBEKeySpec spec = new PBEKeySpec(input, salt, ITERATIONS, BITS);
        try {
            return HexFormat.of()
                    .formatHex(SecretKeyFactory.getInstance("PBKDF2WithHmacSHA256")
                            .generateSecret(spec)
                            .getEncoded());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("PBKDF2WithHmacSHA256 is missing from this JVM", e);
        } finally {
            spec.clearPassword();
            Arrays.fill(input, '\0');
        }
    }
}
