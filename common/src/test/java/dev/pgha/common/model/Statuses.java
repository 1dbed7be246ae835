package dev.pgha.common.model;

import java.time.Instant;
import java.util.List;

/**
 * Keeper statuses for tests in every module (the planners' tables first): an initialized member of system 1 on
 * timeline 1 that converged to view generation 10, healthy, reporting at {@link #NOW}; each test changes only what it
 * is about, so a new status field is added here once.
 */
public final class Statuses {
    public static final Instant NOW = Instant.parse("2026-11-23T12:00:00Z");

    private Statuses() {}

    /** A primary whose WAL is written up to {@code lsn}. */
    public static Builder primary(String id, long lsn) {
        Builder b = new Builder(id, Role.PRIMARY);
        b.writtenLsn = lsn;
        return b;
    }

    /** A standby holding WAL up to {@code lsn}, streaming from {@code following} (null: from nobody). */
    public static Builder standby(String id, long lsn, String following) {
        Builder b = new Builder(id, Role.STANDBY);
        b.receivedLsn = lsn;
        b.replayedLsn = lsn;
        b.following = following;
        return b;
    }

    /** A running member in {@code role} with no WAL yet; the other factories are the usual shapes. */
    public static Builder of(String id, Role role) {
        return new Builder(id, role);
    }

    /** A member whose postgres is not running, saying why. */
    public static Builder down(String id, String problem) {
        Builder b = new Builder(id, Role.NONE);
        b.pgUp = false;
        b.timeline = 0;
        return b.unhealthy(problem);
    }

    public static final class Builder {
        private final String id;
        private final Role role;
        private String region;
        private boolean initialized = true;
        private long systemId = 1;
        private boolean pgUp = true;
        private long timeline = 1;
        private long writtenLsn;
        private long receivedLsn;
        private long replayedLsn;
        private boolean healthy = true;
        private String problem;
        private long applied = 10;
        private Instant at = NOW;
        private Instant unhealthySince;
        private String following;
        private List<String> streaming = List.of();
        private List<String> synchronousNames = List.of();
        private long walFinal;
        private boolean confirmed;
        private long leaderWalEnd;
        private MemberTags tags = MemberTags.NONE;
        private boolean stopping;
        private boolean hostsStoreLeader;

        private Builder(String id, Role role) {
            this.id = id;
            this.role = role;
        }

        public Builder region(String r) {
            region = r;
            return this;
        }

        /** No data yet: the member to create the cluster. */
        public Builder empty() {
            initialized = false;
            systemId = 0;
            return this;
        }

        public Builder timeline(long t) {
            timeline = t;
            return this;
        }

        public Builder systemId(long s) {
            systemId = s;
            return this;
        }

        /** A former primary stopped cleanly: its WAL ends at {@code lsn}. */
        public Builder walEndsAt(long lsn) {
            return written(lsn);
        }

        /** Its postgres does not run (or runs: {@code true}), nothing else changed. */
        public Builder pgUp(boolean up) {
            pgUp = up;
            return this;
        }

        public Builder written(long lsn) {
            writtenLsn = lsn;
            return this;
        }

        /** Received and replayed up to {@code lsn}. */
        public Builder replayed(long lsn) {
            receivedLsn = lsn;
            replayedLsn = lsn;
            return this;
        }

        public Builder following(String member) {
            following = member;
            return this;
        }

        public Builder initialized(boolean i) {
            initialized = i;
            return this;
        }

        public Builder unhealthy(String why) {
            healthy = false;
            problem = why;
            unhealthySince = at;
            return this;
        }

        public Builder applied(long generation) {
            applied = generation;
            return this;
        }

        /** Written at {@code stamp} (and unhealthy since then, if it is). */
        public Builder at(Instant stamp) {
            at = stamp;
            unhealthySince = healthy ? null : stamp;
            return this;
        }

        public Builder unhealthySince(Instant since) {
            unhealthySince = since;
            return this;
        }

        public Builder streaming(List<String> members) {
            streaming = members;
            return this;
        }

        public Builder synchronousNames(List<String> members) {
            synchronousNames = members;
            return this;
        }

        /** Its WAL positions are final since view generation {@code generation}. */
        public Builder walFinal(long generation) {
            walFinal = generation;
            return this;
        }

        /** A member it waits for has flushed past what it may have acknowledged alone. */
        public Builder confirmed(boolean c) {
            confirmed = c;
            return this;
        }

        /** Its daemon is stopping (SIGTERM). */
        public Builder stopping() {
            stopping = true;
            return this;
        }

        /** Its node runs the store ensemble's leader. */
        public Builder hostsStoreLeader() {
            hostsStoreLeader = true;
            return this;
        }

        public Builder tags(String text) {
            tags = MemberTags.parse(text);
            return this;
        }

        public Builder tags(MemberTags t) {
            tags = t;
            return this;
        }

        public Builder leaderWalEnd(long lsn) {
            leaderWalEnd = lsn;
            return this;
        }

        public KeeperStatus build() {
            return new KeeperStatus(
                    id,
                    region,
                    initialized,
                    systemId,
                    pgUp,
                    role,
                    timeline,
                    writtenLsn,
                    receivedLsn,
                    replayedLsn,
                    healthy,
                    problem,
                    applied,
                    at,
                    unhealthySince,
                    following,
                    streaming,
                    synchronousNames,
                    walFinal,
                    confirmed,
                    leaderWalEnd,
                    tags,
                    stopping,
                    hostsStoreLeader);
        }
    }
}
