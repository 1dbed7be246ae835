package dev.pgha.common.model;

import java.time.Instant;

/**
 * An operator's request to change the leader (persistent node {@code request}, one at a time): written by
 * {@code pgha switchover} / {@code pgha failover}, accepted or refused by the elected sentinel, removed by it once
 * the cluster is back to NORMAL.
 *
 * @param id          random id, so the CLI recognises its own request
 * @param kind        SWITCHOVER (planned, with a clean demote of the leader) or FAILOVER (forced, leaderless only)
 * @param target      the member to promote; null = the sentinel chooses (switchover only)
 * @param state       PENDING until the sentinel looks at it, then ACCEPTED or REFUSED
 * @param reason      why it was refused, or what was accepted
 * @param generation  the view generation that carried it out (ACCEPTED), 0 before
 * @param requestedAt when the operator asked
 */
public record OperatorRequest(
        String id, Kind kind, String target, State state, String reason, long generation, Instant requestedAt) {

    public enum Kind {
        SWITCHOVER("switchover"),
        FAILOVER("failover");

        private final String word;

        Kind(String word) {
            this.word = word;
        }

        /** How logs, answers and the CLI name it. */
        public String word() {
            return word;
        }
    }

    public enum State {
        PENDING,
        ACCEPTED,
        REFUSED
    }

    public OperatorRequest accept(String resolvedTarget, String why, long atGeneration) {
        return new OperatorRequest(id, kind, resolvedTarget, State.ACCEPTED, why, atGeneration, requestedAt);
    }

    public OperatorRequest refuse(String why) {
        return new OperatorRequest(id, kind, target, State.REFUSED, why, generation, requestedAt);
    }
}
