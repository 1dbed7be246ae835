package dev.pgha.keeper;

import dev.pgha.common.failsafe.Failsafe;
import dev.pgha.common.model.ClusterView;
import dev.pgha.common.model.Phase;
import java.io.UncheckedIOException;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A member's side of failsafe mode (POST /failsafe on its HTTP port): a leader that lost the store asks whether
 * this member still follows it, and for a promise not to promote for a lease. The member promises only if the last
 * view it read names that leader in normal operation (a member that has seen a failover begin says no, and the
 * leader fences), and only while it has not begun promoting itself.
 */
public final class FailsafeResponder {
    private static final Logger log = LoggerFactory.getLogger(FailsafeResponder.class);

    /**
     * {@code status}: 200 with a signed answer, 400 for a malformed request, 401 for an unauthentic one, 403 for one
     * without a member certificate where certificates are given.
     */
    public record Reply(int status, String body) {}

    private final String memberId;
    private final boolean enabled;
    private final FailsafeWire wire;
    private final Failsafe failsafe;
    private final Supplier<ClusterView> view;
    private final boolean certificateRequired;
    private volatile String lastRefusal;

    /** @param certificateRequired the operator gave certificates: only a member's TLS request is answered */
    FailsafeResponder(
            String memberId,
            boolean enabled,
            FailsafeWire wire,
            Failsafe failsafe,
            Supplier<ClusterView> view,
            boolean certificateRequired) {
        this.memberId = memberId;
        this.enabled = enabled;
        this.wire = wire;
        this.failsafe = failsafe;
        this.view = view;
        this.certificateRequired = certificateRequired;
    }

    /** @param peerCertified it came over TLS with a client certificate that chains to the cluster's CA */
    public Reply answer(byte[] body, boolean peerCertified) {
        if (certificateRequired && !peerCertified) {
            return new Reply(
                    403,
                    "{\"error\":\"failsafe requests must come over TLS with a member certificate signed by this "
                            + "cluster's CA (PGHA_TLS_CA_FILE)\"}");
        }
        FailsafeWire.Ask ask;
        try {
            ask = FailsafeWire.read(body, FailsafeWire.Ask.class);
        } catch (UncheckedIOException e) {
            return new Reply(400, "{\"error\":\"malformed failsafe request\"}");
        }
        if (ask == null || ask.leader() == null || ask.member() == null || ask.nonce() == null) {
            return new Reply(400, "{\"error\":\"malformed failsafe request\"}");
        }
        if (!wire.authentic(ask)) {
            return new Reply(401, "{\"error\":\"not signed with this cluster's key\"}");
        }
        String refusal = refusal(ask);
        boolean granted = refusal == null && failsafe.grant(ask.leader(), System.nanoTime());
        if (refusal == null && !granted) {
            refusal = "this member has begun promoting itself";
        }
        if (refusal != null && !refusal.equals(lastRefusal)) {
            log.info("failsafe: refused member {} a promise: {}", ask.leader(), refusal);
        }
        lastRefusal = refusal;
        return new Reply(
                200,
                new String(
                        FailsafeWire.write(wire.answer(ask, granted, refusal)),
                        java.nio.charset.StandardCharsets.UTF_8));
    }

    private String refusal(FailsafeWire.Ask ask) {
        if (!enabled) {
            return "failsafe mode is off on this member (cluster.failsafe)";
        }
        if (!memberId.equals(ask.member())) {
            return "this is member " + memberId + ", not " + ask.member();
        }
        ClusterView v = view.get();
        if (!ask.leader().equals(v.leader())) {
            return "the last view this member read names " + (v.leader() == null ? "no leader" : "member " + v.leader())
                    + " (generation " + v.generation() + ")";
        }
        if (v.phase() != Phase.NORMAL) {
            return "the last view this member read is in phase " + v.phase();
        }
        return null;
    }
}
