package dev.pgha.keeper;

import dev.pgha.common.PghaException;
import dev.pgha.common.model.MemberInfo;
import dev.pgha.common.store.ClusterSnapshot;

/** The leader a standby streams from: its member id and the postgres address it registered. */
public record Upstream(String memberId, String host, int port) {

    /**
     * The replication slot the leader keeps for {@code memberId}: slot names allow [a-z0-9_] only and member ids
     * are [a-z0-9-] (at most 40), so replacing '-' by '_' is one-to-one and fits the 63-byte limit.
     */
    public static String slotName(String memberId) {
        return "pgha_" + memberId.replace('-', '_');
    }

    /** How to reach {@code leaderId}'s postgres, from its registration in {@code s}. */
    static Upstream of(ClusterSnapshot s, String leaderId) {
        MemberInfo m = s.member(leaderId)
                .orElseThrow(() -> new PghaException("leader " + leaderId + " has no registration; cannot reach it"));
        return new Upstream(leaderId, m.host(), m.pgPort());
    }
}
