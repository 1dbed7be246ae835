package dev.pgha.keeper;

import dev.pgha.common.model.Json;
import dev.pgha.common.secret.Credentials;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Failsafe mode's two messages between members, each signed with HMAC-SHA256 under a key every member derives from
 * the cluster's shared passwords (no secret travels): a leader that lost the store asks a member for a promise, and
 * the member answers, echoing the request's random nonce so that no old or forged answer passes for a new one. The
 * contents are not secret; what matters is who wrote them.
 */
final class FailsafeWire {
    /** POST body, leader to member. */
    record Ask(String leader, long generation, String member, String nonce, String mac) {}

    /** The member's answer; {@code reason} says why it refused (null when granted). */
    record Answer(String member, String leader, String nonce, boolean granted, String reason, String mac) {}

    static final String PATH = "/failsafe";
    private static final SecureRandom RANDOM = new SecureRandom();

    private final byte[] key;

    private FailsafeWire(byte[] key) {
        this.key = key;
    }

    static FailsafeWire forCluster(String cluster, Credentials shared) {
        byte[] secret =
                (shared.suPassword().reveal() + "\n" + shared.replPassword().reveal()).getBytes(StandardCharsets.UTF_8);
        return new FailsafeWire(hmac(secret, "pgha failsafe v1\n" + cluster));
    }

    Ask ask(String leader, long generation, String member) {
        byte[] n = new byte[16];
        RANDOM.nextBytes(n);
        String nonce = HexFormat.of().formatHex(n);
        return new Ask(leader, generation, member, nonce, sign("ask", leader, generation, member, nonce));
    }

    Answer answer(Ask ask, boolean granted, String reason) {
        return new Answer(
                ask.member(),
                ask.leader(),
                ask.nonce(),
                granted,
                reason,
                sign("answer", ask.member(), ask.leader(), ask.nonce(), granted, reason));
    }

    boolean authentic(Ask a) {
        return a.mac() != null && same(a.mac(), sign("ask", a.leader(), a.generation(), a.member(), a.nonce()));
    }

    /** {@code a} answers {@code ask}, signed by a member of this cluster. */
    boolean answers(Answer a, Ask ask) {
        return a.mac() != null
                && ask.member().equals(a.member())
                && ask.leader().equals(a.leader())
                && ask.nonce().equals(a.nonce())
                && same(a.mac(), sign("answer", a.member(), a.leader(), a.nonce(), a.granted(), a.reason()));
    }

    static byte[] write(Object message) {
        return Json.write(message);
    }

    static <T> T read(byte[] body, Class<T> type) {
        return Json.read(body, type);
    }

    private String sign(Object... parts) {
        StringBuilder b = new StringBuilder();
        for (Object p : parts) {
            String s = String.valueOf(p);
            b.append(s.length()).append(':').append(s).append('\n'); // length-prefixed: no two inputs sign alike
        }
        return HexFormat.of().formatHex(hmac(key, b.toString()));
    }

    private static boolean same(String a, String b) {
        return MessageDigest.isEqual(a.getBytes(StandardCharsets.US_ASCII), b.getBytes(StandardCharsets.US_ASCII));
    }

    private static byte[] hmac(byte[] key, String text) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            return mac.doFinal(text.getBytes(StandardCharsets.UTF_8));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is missing from this JVM", e);
        }
    }
}
