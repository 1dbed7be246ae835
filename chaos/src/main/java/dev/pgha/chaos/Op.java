package dev.pgha.chaos;

/**
 * One operation of the workload as its client saw it. Times are nanoseconds since the run started, on the one
 * clock of the workload's JVM.
 *
 * @param value    append: the client's sequence number; cas: the new value; read: the value read
 * @param expected cas: the value it expected
 * @param applied  cas: a row was updated (the compare matched)
 * @param server   the postgres address that served it (inet_server_addr()), when it answered
 * @param timeline the timeline of that server's WAL at the time, when it answered
 * @param lsn      append: where the server's WAL ended right after its insert, when it answered (0 otherwise)
 */
record Op(
        int client,
        Kind kind,
        long value,
        long expected,
        boolean applied,
        long invoke,
        long complete,
        Outcome outcome,
        String server,
        int timeline,
        String error,
        long lsn) {

    enum Kind {
        APPEND,
        READ,
        CAS
    }

    /** UNKNOWN: the connection broke after the statement was sent, so it may or may not have committed. */
    enum Outcome {
        OK,
        FAILED,
        UNKNOWN
    }

    static Op ok(
            int client,
            Kind kind,
            long value,
            long expected,
            boolean applied,
            long invoke,
            long complete,
            String server,
            int timeline) {
        return new Op(client, kind, value, expected, applied, invoke, complete, Outcome.OK, server, timeline, null, 0);
    }

    static Op notOk(
            int client,
            Kind kind,
            long value,
            long expected,
            long invoke,
            long complete,
            Outcome outcome,
            String error) {
        return new Op(client, kind, value, expected, false, invoke, complete, outcome, null, 0, error, 0);
    }

    Op withLsn(long at) {
        return new Op(client, kind, value, expected, applied, invoke, complete, outcome, server, timeline, error, at);
    }

    /** A write the server acknowledged. */
    boolean acknowledgedWrite() {
        return outcome == Outcome.OK && (kind == Kind.APPEND || kind == Kind.CAS && applied);
    }
}
