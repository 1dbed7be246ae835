package dev.pgha.keeper;

import dev.pgha.common.concurrent.Closeables;
import dev.pgha.common.config.PghaConfig;
import dev.pgha.common.failsafe.Failsafe;
import dev.pgha.common.secret.Credentials;
import dev.pgha.common.store.ClusterSnapshot;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The keeper's part in failsafe mode (cluster.failsafe): asking the other members for promises while it leads and
 * the store is in doubt ({@link FailsafeCaller}), answering such requests ({@link FailsafeResponder}), and holding
 * a promotion back while a promise to another leader lasts. The promises themselves are the node's {@link Failsafe}.
 */
final class FailsafeMode implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(FailsafeMode.class);
    private final String memberId;
    private final Failsafe failsafe;
    private final FailsafeResponder responder;
    private final FailsafeCaller caller;

    FailsafeMode(
            String memberId,
            String cluster,
            boolean enabled,
            Credentials credentials,
            Failsafe failsafe,
            StoreContact contact,
            Supplier<ClusterSnapshot> snapshot,
            BooleanSupplier leading,
            Runnable stopNow,
            Runnable onChange,
            Optional<PghaConfig.Tls> tls) {
        this.memberId = memberId;
        this.failsafe = failsafe;
        FailsafeWire wire = FailsafeWire.forCluster(cluster, credentials);
        this.responder = new FailsafeResponder(
                memberId, enabled, wire, failsafe, () -> snapshot.get().view(), tls.isPresent());
        Runnable fenceNow = () -> {
            // the store lease ran out with no standing while this member served as the primary: at once, from the
            // failsafe thread, in case the keeper loop waits on the store; it starts postgres again only from a
            // view read on a live session
            if (leading.getAsBoolean()) {
                log.warn(
                        "fencing: stopping the local primary at once ({}); this member must not take writes",
                        Objects.requireNonNullElse(contact.cutOff(), "the store lease ran out"));
                stopNow.run();
            }
        };
        this.caller = new FailsafeCaller(
                        memberId,
                        enabled,
                        wire,
                        failsafe,
                        contact,
                        snapshot,
                        leading,
                        fenceNow,
                        onChange,
                        tls.map(FailsafeTls::client).orElse(null))
                .start();
    }

    FailsafeResponder responder() {
        return responder;
    }

    /** As the leader cut off from the store: how long every other member's promise still lets it serve. */
    Duration standingLeft() {
        return failsafe.standingRemaining(System.nanoTime());
    }

    /** The other leader this member promised not to promote against, while the promise lasts; else null. */
    String promisedTo() {
        return failsafe.grantedTo(System.nanoTime())
                .filter(l -> !l.equals(memberId))
                .orElse(null);
    }

    /** This member promotes itself now: false if a promise slipped in since the decision (it must wait). */
    boolean beginPromotion() {
        return failsafe.beginPromotion(System.nanoTime());
    }

    /** The view names another leader: this member may give promises again. */
    void notChosen() {
        failsafe.endPromotion();
    }

    @Override
    public void close() {
        Closeables.closeQuietly(caller);
    }
}
