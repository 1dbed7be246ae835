package dev.pgha.keeper;

/** What the keeper does next to converge its postgres to the cluster view, and why (for logs and status). */
public record KeeperAction(Kind kind, String reason) {
    public enum Kind {
        /** Nothing to change. */
        NONE,
        /** Wait for the sentinel (no leader chosen, or this member has nothing to do yet). */
        WAIT,
        /** Run initdb: the sentinel designated this member to create the cluster. */
        INITIALIZE,
        /** Start postgres: this member leads and its postgres is down. */
        START,
        /** Stop postgres now: it is a primary but another member (or nobody) leads — never two writable leaders. */
        FENCE,
        /** Refuse to act: doing what the view asks would lose data; needs an operator. */
        REFUSE
    }

    static KeeperAction of(Kind kind, String reason) {
        return new KeeperAction(kind, reason);
    }
}
