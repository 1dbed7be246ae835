package dev.pgha.app.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pgha.common.PghaException;
import dev.pgha.common.config.Durations;
import dev.pgha.common.health.Formats;
import dev.pgha.common.model.Json;
import dev.pgha.common.model.OperatorRequest;
import dev.pgha.common.request.LeaderRequest;
import java.io.PrintWriter;
import java.time.Duration;

/** The shared body of switchover and failover: submit, wait, report. */
public final class LeaderChangeCommands {
    private LeaderChangeCommands() {}

    static void run(
            Admin admin, PrintWriter out, boolean json, OperatorRequest.Kind kind, String target, String timeout) {
        Duration limit;
        try {
            limit = Durations.parse(timeout);
        } catch (IllegalArgumentException e) {
            throw new PghaException("--timeout " + timeout + " is not a duration such as 60s or 2m");
        }
        if (kind == OperatorRequest.Kind.SWITCHOVER) {
            CheckpointFirst.onLeader(admin).ifPresent(w -> System.err.println("pgha: " + w));
        }
        LeaderRequest.Outcome o = LeaderRequest.run(admin.store(), kind, target, limit);
        if (json) {
            ObjectNode n = Json.mapper().createObjectNode();
            n.put("from", o.from());
            n.put("to", o.to());
            n.put("generation", o.generation());
            n.put("held_seconds", o.held() == null ? null : o.held().toNanos() / 1e9);
            out.print(n.toPrettyString() + "\n");
        } else {
            out.println(done(kind, o));
        }
    }

    /** "switchover done: c leads (generation 15, was b); new clients were held for 412ms" */
    public static String done(OperatorRequest.Kind kind, LeaderRequest.Outcome o) {
        return kind.word() + " done: " + o.to()
                + " leads (generation " + o.generation() + ", was " + (o.from() == null ? "none" : o.from())
                + ")" + (o.held() == null ? "" : "; new clients were held for " + Formats.duration(o.held()));
    }
}
