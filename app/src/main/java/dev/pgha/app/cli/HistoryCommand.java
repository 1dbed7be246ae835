package dev.pgha.app.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pgha.common.model.HistoryEntry;
import dev.pgha.common.model.Json;
import dev.pgha.common.model.Lsn;
import java.io.PrintWriter;
import java.time.temporal.ChronoUnit;
import java.util.List;
import picocli.CommandLine.Command;

@Command(
        name = "history",
        mixinStandardHelpOptions = true,
        description = "List the cluster's leader changes, oldest first: when, view generation, from and to, why, and "
                + "the new leader's WAL position.")
public final class HistoryCommand extends AdminCommand {
    @Override
    void run(Admin admin, PrintWriter out) {
        List<HistoryEntry> history = admin.store().history();
        out.print(json() ? json(history) : table(history));
    }

    static String table(List<HistoryEntry> history) {
        Table t = new Table("TIME", "GENERATION", "FROM", "TO", "LSN", "REASON");
        for (HistoryEntry h : history) {
            t.row(
                    h.time().truncatedTo(ChronoUnit.SECONDS),
                    h.generation(),
                    h.oldLeader(),
                    h.newLeader(),
                    Lsn.format(h.leaderLsn()),
                    h.reason());
        }
        return t.render();
    }

    static String json(List<HistoryEntry> history) {
        ArrayNode list = Json.mapper().createArrayNode();
        for (HistoryEntry h : history) {
            ObjectNode n = list.addObject();
            n.put("time", h.time().toString());
            n.put("generation", h.generation());
            n.put("from", h.oldLeader());
            n.put("to", h.newLeader());
            n.put("lsn", Lsn.format(h.leaderLsn()));
            n.put("reason", h.reason());
        }
        return list.toPrettyString() + "\n";
    }
}
