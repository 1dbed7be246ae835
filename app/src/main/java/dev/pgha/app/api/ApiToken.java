package dev.pgha.app.api;

import dev.pgha.common.secret.Secret;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.Optional;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The operations API's credential: derived from the operator's password (HMAC-SHA256, bound to the cluster's name),
 * so every member accepts the same token without another secret to distribute, and rotating the operator's password
 * rotates it. Sent as {@code Authorization: Bearer TOKEN}, or as HTTP basic with user {@value #BASIC_USER} (what
 * patronictl and Patroni-style clients send). `pgha api-token` prints it.
 */
public final class ApiToken {
    public static final String BASIC_USER = "pgha";

    private ApiToken() {}

    public static String derive(Secret operatorPassword, String cluster) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(operatorPassword.reveal().getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            byte[] tag = mac.doFinal(("pgha operations API v1\0" + cluster).getBytes(StandardCharsets.UTF_8));
            return Base64.getUrlEncoder().withoutPadding().encodeToString(tag);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is missing from this JVM", e);
        }
    }

    /** Whether an Authorization header carries {@code token} (compared in constant time). */
    public static boolean accepts(Optional<String> authorization, String token) {
        if (authorization.isEmpty()) {
            return false;
        }
        String h = authorization.get().strip();
        String presented = null;
        if (h.regionMatches(true, 0, "Bearer ", 0, 7)) {
            presented = h.substring(7).strip();
        } else if (h.regionMatches(true, 0, "Basic ", 0, 6)) {
            try {
                String pair =
                        new String(Base64.getDecoder().decode(h.substring(6).strip()), StandardCharsets.UTF_8);
                int colon = pair.indexOf(':');
                if (colon > 0 && pair.substring(0, colon).equals(BASIC_USER)) {
                    presented = pair.substring(colon + 1);
                }
            } catch (IllegalArgumentException e) {
                return false; // not base64
            }
        }
        return presented != null
                && MessageDigest.isEqual(
                        presented.getBytes(StandardCharsets.UTF_8), token.getBytes(StandardCharsets.UTF_8));
    }
}
