package dev.pgha.common.failsafe;

import java.time.Duration;
import java.util.Optional;

/**
 * Failsafe mode's promises on this node, shared by its keeper, its proxy and its HTTP endpoint. Two kinds, both
 * timed on this node's monotonic clock (nanoTime), never on a wall clock:
 *
 * <ul>
 *   <li>a <b>grant</b> (this member to a leader that lost the store): "I still follow you, and I will not promote
 *       until {@code grantedUntil}". Given only while no promotion of this member has begun ({@link
 *       #beginPromotion}); a promotion waits until every grant has run out.
 *   <li>a <b>standing</b> (this node as that leader): every other member granted it, the earliest grant asked for at
 *       {@code sent}, so no member can promote before {@code sent + lease}. The leader keeps serving without the
 *       store only until then.
 * </ul>
 *
 * A member's grant lasts {@link #MARGIN} longer than the leader counts on it, and the leader counts from when it
 * sent the request, the member from when it received it: the leader's standing always ends first.
 */
public final class Failsafe {
    /** How much longer a member keeps its promise than the leader relies on it. */
    public static final Duration MARGIN = Duration.ofMillis(500);

    private final String memberId;
    private final long leaseNanos;
    private volatile String grantedTo; // the leader this member promised not to promote against; null: none
    private volatile long grantedUntil;
    private volatile long standingUntil;
    private volatile boolean standing;
    // how long the promises of every other member, as confirmed, still bind them (withdraw() does not end that)
    private volatile long promisedUntil;
    private volatile boolean promisedOnce;
    private boolean promoting; // guarded by this

    /** @param lease how long a leader may rely on one round of grants (the store's session timeout) */
    public Failsafe(String memberId, Duration lease) {
        this.memberId = memberId;
        this.leaseNanos = lease.toNanos();
    }

    public Duration lease() {
        return Duration.ofNanos(leaseNanos);
    }

    // ---- a member's promise to a leader ---------------------------------------------------------------------

    /**
     * Promises {@code leader} not to promote for a lease from {@code nowNanos} (plus the margin). Refused (false)
     * once this member has begun promoting itself.
     */
    public synchronized boolean grant(String leader, long nowNanos) {
        if (promoting) {
            return false;
        }
        long until = nowNanos + leaseNanos + MARGIN.toNanos();
        if (!leader.equals(grantedTo) || until - grantedUntil > 0) {
            grantedUntil = until;
        }
        grantedTo = leader;
        return true;
    }

    /** The leader this member has promised not to promote against, while that promise lasts. */
    public Optional<String> grantedTo(long nowNanos) {
        String to = grantedTo;
        return to != null && nowNanos - grantedUntil < 0 ? Optional.of(to) : Optional.empty();
    }

    /**
     * This member is about to promote itself: true, and no grant is given from now on, unless a promise to another
     * leader still holds (false: it must wait).
     */
    public synchronized boolean beginPromotion(long nowNanos) {
        if (grantedTo(nowNanos).filter(l -> !l.equals(memberId)).isPresent()) {
            return false;
        }
        promoting = true;
        return true;
    }

    /** This member neither promotes nor leads any more: it may give grants again. */
    public synchronized void endPromotion() {
        promoting = false;
    }

    // ---- the leader's standing ------------------------------------------------------------------------------

    /** Every other member granted a request sent at {@code sentNanos}. */
    public synchronized void confirmed(long sentNanos) {
        long until = sentNanos + leaseNanos;
        if (!standing || until - standingUntil > 0) {
            standingUntil = until;
        }
        standing = true;
        if (!promisedOnce || until - promisedUntil > 0) {
            promisedUntil = until;
        }
        promisedOnce = true;
    }

    /** This node relies on no grant any more (the store answers again, or it stopped leading). */
    public synchronized void withdraw() {
        standing = false;
    }

    /** As the leader: every other member has promised not to promote, for now. */
    public boolean standing(long nowNanos) {
        return standing && nowNanos - standingUntil < 0;
    }

    /** How long the standing still holds (zero when it does not). */
    public Duration standingRemaining(long nowNanos) {
        return standing(nowNanos) ? Duration.ofNanos(standingUntil - nowNanos) : Duration.ZERO;
    }

    /**
     * Whether clients may still be relayed to {@code leader} without word from the store: this node is that leader
     * and every other member's promise not to promote still binds, or it promised that leader not to promote.
     *
     * <p>For this node as the leader that is the promises' time bound, not its standing: the keeper withdraws its
     * standing as soon as its own store session answers again, while this node's proxy may take a moment longer to
     * read the cluster on its new session; the promises keep every other member from promoting until they run out
     * either way, so relaying to this node stays safe until then, and a client is not cut off in that gap.
     */
    public boolean vouchesFor(String leader) {
        if (leader == null) {
            return false;
        }
        long now = System.nanoTime();
        return leader.equals(memberId)
                ? promisedOnce && now - promisedUntil < 0
                : grantedTo(now).filter(leader::equals).isPresent();
    }
}
