package dev.pgha.app.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pgha.common.backup.BackupJob;
import dev.pgha.common.model.Json;
import dev.pgha.common.secret.Secret;
import dev.pgha.common.store.ClusterStore;
import dev.pgha.common.store.StoreException;
import dev.pgha.common.store.Versioned;
import dev.pgha.net.HttpReply;
import dev.pgha.net.HttpRequestInfo;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * {@code pgha status} answered by the local daemon (GET /status on its health-check port): it holds the store
 * session and reaches the members already, so the command skips its own store connection (the ZooKeeper session
 * and its authentication: most of the command's time beside the JVM's start). The answer is what the command would
 * have collected, signed for the nonce the command sent with a key derived from the cluster's store secret: a
 * process that took the port while the daemon was down cannot pass off a status of its own (or an old one), and the
 * command then reads the store itself.
 */
public final class StatusWire {
    public static final String PATH = "/status";
    /** An answer is a few KB per member; more is not a status. */
    private static final int MAX_ANSWER_BYTES = 4 * 1024 * 1024;

    private static final Pattern NONCE = Pattern.compile("[0-9a-f]{32}");
    private static final SecureRandom RANDOM = new SecureRandom();

    /** What the daemon answers: the cluster's status and, with backups configured, the backup job. */
    record Answer(ClusterStatus status, BackupJob job) {}

    private StatusWire() {}

    /** The key both sides derive: HMAC-SHA256 of a label and the cluster's name under the store secret. */
    public static byte[] key(Secret storeSecret, String cluster) {
        return hmac(
                storeSecret.reveal().getBytes(StandardCharsets.UTF_8),
                ("pgha status v1\0" + cluster).getBytes(StandardCharsets.UTF_8));
    }

    /** The status read from the store (and the members' checks); with {@code backups}, the backup job too. */
    static Answer collect(ClusterStore store, String cluster, boolean backups, Instant now) {
        return new Answer(
                StatusCollector.collect(store, cluster, now),
                backups ? store.backupJob().map(Versioned::value).orElse(null) : null);
    }

    /** The daemon's side: the status for {@code ?nonce=}, signed; with {@code backups}, the backup job too. */
    public static HttpReply answer(
            HttpRequestInfo request, ClusterStore store, String cluster, boolean backups, byte[] key) {
        List<String> nonces = request.query().getOrDefault("nonce", List.of());
        if (nonces.size() != 1 || !NONCE.matcher(nonces.get(0)).matches()) {
            return HttpReply.text(400, "GET " + PATH + " needs ?nonce= (32 hex digits); `pgha status` sends one\n");
        }
        String payload;
        try {
            Answer a = collect(store, cluster, backups, Instant.now());
            ObjectNode p = Json.mapper().createObjectNode();
            p.set("status", Json.mapper().valueToTree(a.status()));
            p.set("backupJob", Json.mapper().valueToTree(a.job()));
            payload = p.toString();
        } catch (StoreException e) {
            return HttpReply.text(503, "cannot read the cluster state: " + e.getMessage() + "\n");
        }
        ObjectNode body = Json.mapper().createObjectNode();
        body.put("payload", payload);
        body.put("mac", Base64.getEncoder().encodeToString(mac(key, nonces.get(0), payload)));
        return HttpReply.json(200, body.toString());
    }

    /**
     * The command's side: the local daemon's answer, or empty when there is none to trust (nobody listens, an error,
     * a wrong signature, a reply too large or not understood): the command then collects the status itself.
     */
    static Optional<Answer> fetch(int httpPort, byte[] key, Duration timeout) {
        String nonce = HexFormat.of().formatHex(randomBytes());
        try {
            PlainHttp.Reply reply = PlainHttp.get(
                    URI.create("http://127.0.0.1:" + httpPort + PATH + "?nonce=" + nonce), timeout, MAX_ANSWER_BYTES);
            if (reply.status() != 200) {
                return Optional.empty();
            }
            JsonNode body = Json.mapper().readTree(reply.body());
            String payload = body.path("payload").asText(null);
            String mac = body.path("mac").asText(null);
            if (payload == null || mac == null) {
                return Optional.empty();
            }
            byte[] presented = Base64.getDecoder().decode(mac);
            if (!MessageDigest.isEqual(presented, mac(key, nonce, payload))) {
                return Optional.empty();
            }
            JsonNode p = Json.mapper().readTree(payload);
            ClusterStatus status = Json.mapper().treeToValue(p.path("status"), ClusterStatus.class);
            JsonNode job = p.path("backupJob");
            return Optional.of(new Answer(
                    status,
                    job.isNull() || job.isMissingNode() ? null : Json.mapper().treeToValue(job, BackupJob.class)));
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    private static byte[] randomBytes() {
        byte[] b = new byte[16];
        RANDOM.nextBytes(b);
        return b;
    }

    private static byte[] mac(byte[] key, String nonce, String payload) {
        return hmac(key, (nonce + "\0" + payload).getBytes(StandardCharsets.UTF_8));
    }

    private static byte[] hmac(byte[] key, byte[] data) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            return mac.doFinal(data);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is missing from this JVM", e);
        }
    }
}
