package dev.pgha.keeper;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pgha.common.failsafe.Failsafe;
import dev.pgha.common.model.ClusterView;
import dev.pgha.common.model.Phase;
import dev.pgha.common.secret.Credentials;
import dev.pgha.common.secret.Secret;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** A member's answers to failsafe requests: signed both ways, and a promise only to the leader its view names. */
class FailsafeResponderTest {
    private static final Credentials SHARED =
            new Credentials(Secret.of("su-pw"), Secret.of("repl-pw"), Secret.of("op-pw"), Set.of());
    private final FailsafeWire wire = FailsafeWire.forCluster("pgha", SHARED);
    private final Failsafe failsafe = new Failsafe("b", Duration.ofSeconds(2));
    private final AtomicReference<ClusterView> view = new AtomicReference<>(view("a", Phase.NORMAL));
    private final FailsafeResponder b = new FailsafeResponder("b", true, wire, failsafe, view::get, false);

    private static ClusterView view(String leader, Phase phase) {
        return new ClusterView(7, leader, List.of("b"), List.of("b"), List.of("b"), phase, null, "r", null, null);
    }

    private FailsafeWire.Answer ask(FailsafeWire.Ask ask) {
        FailsafeResponder.Reply r = b.answer(FailsafeWire.write(ask), false);
        assertThat(r.status()).isEqualTo(200);
        FailsafeWire.Answer a = FailsafeWire.read(r.body().getBytes(StandardCharsets.UTF_8), FailsafeWire.Answer.class);
        assertThat(wire.answers(a, ask))
                .as("signed, and answers this very request")
                .isTrue();
        return a;
    }

    @Test
    void promisesTheLeaderItsViewNamesAndNoOneElse() {
        assertThat(ask(wire.ask("a", 7, "b")).granted()).isTrue();
        assertThat(failsafe.grantedTo(System.nanoTime())).contains("a");

        FailsafeWire.Answer other = ask(wire.ask("c", 7, "b"));
        assertThat(other.granted()).isFalse();
        assertThat(other.reason()).isEqualTo("the last view this member read names member a (generation 7)");

        view.set(view(null, Phase.FAILOVER_FENCING));
        FailsafeWire.Answer fencing = ask(wire.ask("a", 7, "b"));
        assertThat(fencing.granted()).isFalse();
        assertThat(fencing.reason()).isEqualTo("the last view this member read names no leader (generation 7)");
    }

    @Test
    void refusesOnceItHasBegunPromotingAndWhenFailsafeIsOff() {
        assertThat(failsafe.beginPromotion(System.nanoTime())).isTrue();
        FailsafeWire.Answer a = ask(wire.ask("a", 7, "b"));
        assertThat(a.granted()).isFalse();
        assertThat(a.reason()).isEqualTo("this member has begun promoting itself");

        FailsafeResponder off =
                new FailsafeResponder("b", false, wire, new Failsafe("b", Duration.ofSeconds(2)), view::get, false);
        FailsafeWire.Ask ask = wire.ask("a", 7, "b");
        FailsafeResponder.Reply r = off.answer(FailsafeWire.write(ask), false);
        FailsafeWire.Answer refused =
                FailsafeWire.read(r.body().getBytes(StandardCharsets.UTF_8), FailsafeWire.Answer.class);
        assertThat(refused.granted()).isFalse();
        assertThat(refused.reason()).contains("cluster.failsafe");
    }

    @Test
    void unsignedForgedOrMalformedRequestsGetNoPromiseAndForgedAnswersAreNotBelieved() {
        FailsafeWire stranger = FailsafeWire.forCluster(
                "pgha", new Credentials(Secret.of("x"), Secret.of("y"), Secret.of("op-pw"), Set.of()));
        assertThat(b.answer(FailsafeWire.write(stranger.ask("a", 7, "b")), false)
                        .status())
                .isEqualTo(401);
        FailsafeWire.Ask genuine = wire.ask("a", 7, "b");
        FailsafeWire.Ask tampered = new FailsafeWire.Ask("c", 7, "b", genuine.nonce(), genuine.mac());
        assertThat(b.answer(FailsafeWire.write(tampered), false).status()).isEqualTo(401);
        assertThat(b.answer("{not json".getBytes(StandardCharsets.UTF_8), false).status())
                .isEqualTo(400);
        assertThat(b.answer("{}".getBytes(StandardCharsets.UTF_8), false).status())
                .isEqualTo(400);
        assertThat(failsafe.grantedTo(System.nanoTime())).isEmpty();

        // an answer for another request, or from outside the cluster, does not count
        FailsafeWire.Answer real = ask(genuine);
        assertThat(wire.answers(real, wire.ask("a", 7, "b")))
                .as("another nonce")
                .isFalse();
        assertThat(wire.answers(stranger.answer(genuine, true, null), genuine)).isFalse();
        FailsafeWire.Answer flipped =
                new FailsafeWire.Answer(real.member(), real.leader(), real.nonce(), !real.granted(), "x", real.mac());
        assertThat(wire.answers(flipped, genuine)).isFalse();
    }

    @Test
    void withCertificatesOnlyARequestFromACertifiedMemberIsAnswered() {
        FailsafeResponder tls = new FailsafeResponder("b", true, wire, failsafe, view::get, true);
        FailsafeResponder.Reply plain = tls.answer(FailsafeWire.write(wire.ask("a", 7, "b")), false);
        assertThat(plain.status()).isEqualTo(403);
        assertThat(plain.body()).contains("over TLS with a member certificate signed by this cluster's CA");
        assertThat(failsafe.grantedTo(System.nanoTime())).isEmpty();
        assertThat(tls.answer(FailsafeWire.write(wire.ask("a", 7, "b")), true).status())
                .isEqualTo(200);
        assertThat(failsafe.grantedTo(System.nanoTime())).contains("a");
    }
}
