package dev.pgha.chaos;

import java.util.List;
import java.util.Locale;
import java.util.Map;

/** What a run found, as the summary table prints it and as JSON for tools and tests. */
record Report(
        boolean async,
        String lossWindow,
        long lostWalBytes,
        long maximumLagOnFailover,
        long seed,
        int faultsRequested,
        double durationSeconds,
        Map<String, FaultStats> faults,
        Map<String, OpStats> operations,
        long acknowledgedAppends,
        List<String> lostAppends,
        int lostCount,
        List<String> duplicatedAppends,
        List<String> outOfOrderAppends,
        List<String> failedAppendsPresent,
        int registerChainLength,
        List<String> registerViolations,
        int leaderTerms,
        List<String> twoLeaderMoments,
        int twoLeaderCount,
        List<String> leaderChangesWithoutAFault,
        double longestUnavailableSeconds,
        String longestUnavailableDuring,
        List<String> storeOutageProblems,
        String finalHealth,
        boolean healthy,
        List<String> events) {

    /** @param longestUnavailableSeconds the longest time no operation succeeded within one such fault's window */
    record FaultStats(int injected, int recovered, double maxRecoverySeconds, double longestUnavailableSeconds) {}

    record OpStats(long ok, long failed, long unknown) {}

    boolean passed() {
        // asynchronous replication promises neither: the loss window is reported instead, bounded by the lag limit
        return (async
                        ? maximumLagOnFailover == 0 || lostWalBytes <= maximumLagOnFailover
                        : lostCount == 0 && registerViolations.isEmpty())
                && duplicatedAppends.isEmpty()
                && outOfOrderAppends.isEmpty()
                && failedAppendsPresent.isEmpty()
                && twoLeaderCount == 0
                && leaderChangesWithoutAFault.isEmpty()
                && healthy
                && storeOutageProblems.isEmpty()
                && faults.values().stream().mapToInt(FaultStats::injected).sum() == faultsRequested;
    }

    String render() {
        StringBuilder b = new StringBuilder();
        b.append(String.format(
                Locale.ROOT,
                "pgha chaos: %d faults, seed %d, 3 nodes, synchronous mode %s, %.0f s%n%n",
                faultsRequested,
                seed,
                async ? "off" : "on",
                durationSeconds));
        b.append(String.format(
                Locale.ROOT,
                "%-18s %9s %10s %14s %14s%n",
                "FAULT",
                "INJECTED",
                "RECOVERED",
                "MAX RECOVERY",
                "UNAVAILABLE"));
        faults.forEach((k, f) -> b.append(String.format(
                Locale.ROOT,
                "%-18s %9d %10d %13.1fs %13.1fs%n",
                k,
                f.injected(),
                f.recovered(),
                f.maxRecoverySeconds(),
                f.longestUnavailableSeconds())));
        b.append(String.format(Locale.ROOT, "%n%-18s %9s %10s %10s%n", "OPERATIONS", "OK", "FAILED", "UNKNOWN"));
        operations.forEach((k, o) ->
                b.append(String.format(Locale.ROOT, "%-18s %9d %10d %10d%n", k, o.ok(), o.failed(), o.unknown())));
        b.append(String.format(Locale.ROOT, "%n%-36s %s%n", "CHECK", "RESULT"));
        row(b, "acknowledged appends", Long.toString(acknowledgedAppends));
        row(b, "acknowledged appends lost", Integer.toString(lostCount) + (async ? " (asynchronous: allowed)" : ""));
        if (async) {
            row(b, "loss window", lossWindow);
            row(
                    b,
                    "WAL lost in one fault",
                    lostWalBytes + " bytes at most (cluster.maximumLagOnFailover "
                            + (maximumLagOnFailover == 0 ? "off" : maximumLagOnFailover + " bytes") + ")");
        }
        row(b, "appends duplicated", Integer.toString(duplicatedAppends.size()));
        row(b, "appends out of order", Integer.toString(outOfOrderAppends.size()));
        row(b, "failed appends present", Integer.toString(failedAppendsPresent.size()));
        row(
                b,
                "register linearizable",
                registerViolations.isEmpty()
                        ? "yes (" + registerChainLength + " compare-and-sets in one chain)"
                        : "NO (" + registerViolations.size() + " violations)");
        row(b, "leader terms that took writes", Integer.toString(leaderTerms));
        row(b, "moments with two leaders", Integer.toString(twoLeaderCount));
        row(b, "leader changes without a fault", Integer.toString(leaderChangesWithoutAFault.size()));
        row(
                b,
                "longest unavailability",
                String.format(Locale.ROOT, "%.1f s (%s)", longestUnavailableSeconds, longestUnavailableDuring));
        row(
                b,
                "proxies listening in store outages",
                storeOutageProblems.isEmpty()
                        ? (faults.get(Fault.STORE_OUTAGE.label).injected() > 0
                                ? "yes"
                                : "not tested (no store-outage fault)")
                        : "NO (" + storeOutageProblems.size() + ")");
        row(b, "final health", finalHealth);
        row(b, "VERDICT", passed() ? "PASS" : "FAIL");
        detail(b, "lost", lostAppends);
        detail(b, "duplicated", duplicatedAppends);
        detail(b, "out of order", outOfOrderAppends);
        detail(b, "failed but present", failedAppendsPresent);
        detail(b, "register", registerViolations);
        detail(b, "two leaders", twoLeaderMoments);
        detail(b, "leader change without a fault", leaderChangesWithoutAFault);
        detail(b, "store outage", storeOutageProblems);
        return b.toString();
    }

    private static void row(StringBuilder b, String check, String result) {
        b.append(String.format(Locale.ROOT, "%-36s %s%n", check, result));
    }

    private static void detail(StringBuilder b, String what, List<String> problems) {
        for (String p : Checker.firstFew(problems)) {
            b.append("  ").append(what).append(": ").append(p).append('\n');
        }
    }
}
