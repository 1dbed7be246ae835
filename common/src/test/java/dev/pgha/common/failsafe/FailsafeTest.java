package dev.pgha.common.failsafe;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The promises of failsafe mode, on a made-up monotonic clock (milliseconds below). */
class FailsafeTest {
    private static final long MS = 1_000_000L;
    private static final Duration LEASE = Duration.ofSeconds(2);

    @Test
    void aMemberThatPromisedALeaderDoesNotPromoteUntilThePromiseRunsOutWithItsMargin() {
        Failsafe b = new Failsafe("b", LEASE);
        assertThat(b.grant("a", 1000 * MS)).isTrue();
        assertThat(b.grantedTo(1000 * MS)).contains("a");
        assertThat(b.beginPromotion(3000 * MS))
                .as("lease 2 s + margin 0.5 s from 1 s")
                .isFalse();
        assertThat(b.grantedTo(3499 * MS)).contains("a");
        assertThat(b.grantedTo(3500 * MS)).isEmpty();
        assertThat(b.beginPromotion(3500 * MS)).isTrue();
        // promoting: no more promises, to anyone, until it neither promotes nor leads
        assertThat(b.grant("a", 3600 * MS)).isFalse();
        assertThat(b.grantedTo(3600 * MS)).isEmpty();
        b.endPromotion();
        assertThat(b.grant("a", 3700 * MS)).isTrue();
    }

    @Test
    void aLeadersStandingEndsBeforeAnyPromiseItReliesOn() {
        Failsafe a = new Failsafe("a", LEASE);
        Failsafe b = new Failsafe("b", LEASE);
        long sent = 1000 * MS;
        b.grant("a", sent + 40 * MS); // received 40 ms after it was sent
        a.confirmed(sent);
        assertThat(a.standing(2999 * MS)).isTrue();
        assertThat(a.standing(3000 * MS)).isFalse();
        assertThat(b.grantedTo(3000 * MS))
                .as("b still keeps its promise when a stops relying on it")
                .contains("a");
        // a newer round extends it; an older answer arriving late does not shorten it
        a.confirmed(2000 * MS);
        a.confirmed(1500 * MS);
        assertThat(a.standingRemaining(3000 * MS)).isEqualTo(Duration.ofSeconds(1));
        a.withdraw();
        assertThat(a.standing(3000 * MS)).isFalse();
    }

    @Test
    void theProxyVouchesOnlyForTheLeaderItWasPromisedOrForItselfWhileItsStandingHolds() {
        Failsafe b = new Failsafe("b", Duration.ofSeconds(30));
        assertThat(b.vouchesFor("a")).isFalse();
        b.grant("a", System.nanoTime());
        assertThat(b.vouchesFor("a")).isTrue();
        assertThat(b.vouchesFor("c")).isFalse();
        assertThat(b.vouchesFor(null)).isFalse();
        assertThat(b.vouchesFor("b")).as("b has no standing of its own").isFalse();
        b.confirmed(System.nanoTime());
        assertThat(b.vouchesFor("b")).isTrue();
        // a promise to a new leader replaces the old one
        b.grant("c", System.nanoTime());
        assertThat(b.vouchesFor("a")).isFalse();
        assertThat(b.vouchesFor("c")).isTrue();
    }

    @Test
    void theLeadersProxyVouchesUntilThePromisesRunOutEvenOnceTheKeeperWithdrewItsStanding() throws Exception {
        // the store answered the keeper first: it withdraws, but the proxy may not have read the cluster yet
        Failsafe a = new Failsafe("a", Duration.ofSeconds(30));
        a.confirmed(System.nanoTime());
        a.withdraw();
        assertThat(a.standing(System.nanoTime())).isFalse();
        assertThat(a.vouchesFor("a"))
                .as("every other member still keeps its promise")
                .isTrue();
        Failsafe shortLease = new Failsafe("a", Duration.ofMillis(20));
        shortLease.confirmed(System.nanoTime());
        shortLease.withdraw();
        Thread.sleep(50);
        assertThat(shortLease.vouchesFor("a")).as("the promises ran out").isFalse();
    }
}
