package dev.pgha.chaos;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Judges a run from the workload's history and the rows found at the end. Pure, so its rules are tested on
 * hand-written histories (it must be able to fail).
 */
final class Checker {
    /** A row of the appends table, in commit order ({@code n} from a sequence). */
    record Row(long n, int client, long seq) {}

    /** A (member, timeline) that acknowledged writes, and the span in which it surely did. */
    record Term(String server, int timeline, long firstComplete, long lastInvoke, long writes) {}

    record Appends(
            long acknowledged,
            List<String> lost,
            List<String> duplicated,
            List<String> outOfOrder,
            List<String> failedButPresent) {
        boolean ok() {
            return lost.isEmpty() && duplicated.isEmpty() && outOfOrder.isEmpty() && failedButPresent.isEmpty();
        }
    }

    record Register(int chainLength, List<String> violations) {
        boolean ok() {
            return violations.isEmpty();
        }
    }

    private static final int SHOWN = 10;

    private Checker() {}

    /** Every acknowledged append present exactly once, each client's in order, none that definitely failed. */
    static Appends appends(List<Op> history, List<Row> rows) {
        Map<Long, Op> byKey = new HashMap<>();
        for (Op op : history) {
            if (op.kind() == Op.Kind.APPEND) {
                byKey.put(key(op.client(), op.value()), op);
            }
        }
        Map<Long, Integer> count = new HashMap<>();
        Map<Integer, Long> lastSeq = new HashMap<>();
        List<String> outOfOrder = new ArrayList<>();
        List<Row> ordered = new ArrayList<>(rows);
        ordered.sort(Comparator.comparingLong(Row::n));
        for (Row r : ordered) {
            count.merge(key(r.client(), r.seq()), 1, Integer::sum);
            Long previous = lastSeq.put(r.client(), r.seq());
            if (previous != null && r.seq() <= previous) {
                add(outOfOrder, "client " + r.client() + ": seq " + r.seq() + " committed after seq " + previous);
            }
        }
        List<String> lost = new ArrayList<>();
        List<String> duplicated = new ArrayList<>();
        List<String> failed = new ArrayList<>();
        long acknowledged = 0;
        for (Op op : history) {
            if (op.kind() != Op.Kind.APPEND) {
                continue;
            }
            int n = count.getOrDefault(key(op.client(), op.value()), 0);
            if (op.outcome() == Op.Outcome.OK) {
                acknowledged++;
                if (n == 0) {
                    add(
                            lost,
                            "client " + op.client() + " seq " + op.value() + " (acknowledged at "
                                    + seconds(op.complete()) + " by " + op.server() + " on timeline " + op.timeline()
                                    + ")");
                }
            } else if (op.outcome() == Op.Outcome.FAILED && n > 0) {
                add(failed, "client " + op.client() + " seq " + op.value() + " (failed with: " + op.error() + ")");
            }
            if (n > 1) {
                add(duplicated, "client " + op.client() + " seq " + op.value() + " present " + n + " times");
            }
        }
        for (Row r : rows) {
            if (!byKey.containsKey(key(r.client(), r.seq()))) {
                add(duplicated, "client " + r.client() + " seq " + r.seq() + " was never written by the workload");
            }
        }
        return new Appends(acknowledged, lost, duplicated, outOfOrder, failed);
    }

    /**
     * Linearizability of the single register under read and compare-and-set, every new value unique. A successful
     * CAS old→new fixes new as old's successor, so the values form one chain from the initial 0 (two successors of
     * one value = a lost update). A CAS of unknown outcome took effect exactly when its value was later seen (read,
     * or expected by a successful CAS); otherwise it is taken not to have happened. Then linearization points must
     * exist in real time: the CAS installing each value after its predecessor's, every read of a value between the
     * CAS that installed it and the one that replaced it. Choosing each CAS point as early as its constraints allow
     * is optimal, so one greedy pass decides. Failed CAS (no row matched) are not checked.
     */
    static Register register(List<Op> history) {
        List<String> violations = new ArrayList<>();
        Set<Long> observed = new HashSet<>();
        for (Op op : history) {
            if (op.outcome() == Op.Outcome.OK && op.kind() == Op.Kind.READ) {
                observed.add(op.value());
            } else if (op.outcome() == Op.Outcome.OK && op.kind() == Op.Kind.CAS && op.applied()) {
                observed.add(op.expected());
            }
        }
        Map<Long, Op> successor = new HashMap<>();
        for (Op op : history) {
            boolean happened = op.kind() == Op.Kind.CAS
                    && (op.outcome() == Op.Outcome.OK && op.applied()
                            || op.outcome() == Op.Outcome.UNKNOWN && observed.contains(op.value()));
            if (!happened) {
                continue;
            }
            Op other = successor.putIfAbsent(op.expected(), op);
            if (other != null) {
                add(
                        violations,
                        "lost update: both cas " + op.expected() + "->" + other.value() + " and cas " + op.expected()
                                + "->" + op.value() + " took effect");
            }
        }
        Map<Long, Integer> position = new HashMap<>();
        List<Op> chain = new ArrayList<>();
        long value = 0;
        position.put(0L, 0);
        while (successor.containsKey(value)) {
            Op cas = successor.get(value);
            if (position.containsKey(cas.value())) {
                add(violations, "cycle in the register's values at " + cas.value());
                break;
            }
            chain.add(cas);
            value = cas.value();
            position.put(value, chain.size());
        }
        Map<Integer, List<Op>> readsOf = new TreeMap<>();
        for (Op op : history) {
            if (op.outcome() == Op.Outcome.OK && op.kind() == Op.Kind.READ) {
                Integer at = position.get(op.value());
                if (at == null) {
                    add(
                            violations,
                            "read of " + op.value() + " at " + seconds(op.complete())
                                    + ": a value no chain of compare-and-sets from 0 produced");
                } else {
                    readsOf.computeIfAbsent(at, k -> new ArrayList<>()).add(op);
                }
            }
        }
        // t[i]: the earliest linearization point of the CAS installing chain value i (value 0 is there from the start).
        long previousPoint = Long.MIN_VALUE;
        for (int i = 0; i <= chain.size(); i++) {
            long point;
            if (i == 0) {
                point = Long.MIN_VALUE;
            } else {
                Op cas = chain.get(i - 1);
                point = Math.max(cas.invoke(), previousPoint);
                for (Op r : readsOf.getOrDefault(i - 1, List.of())) {
                    point = Math.max(point, r.invoke()); // reads of the old value come first
                }
                if (cas.outcome() == Op.Outcome.OK && point > cas.complete()) {
                    add(
                            violations,
                            "cas " + cas.expected() + "->" + cas.value() + " (" + seconds(cas.invoke()) + "-"
                                    + seconds(cas.complete()) + ") cannot take effect after every read of "
                                    + cas.expected());
                }
            }
            for (Op r : readsOf.getOrDefault(i, List.of())) {
                if (r.complete() < point) {
                    add(
                            violations,
                            "read of " + r.value() + " (" + seconds(r.invoke()) + "-" + seconds(r.complete())
                                    + ") ended before that value can have been written: a later read still saw an older"
                                    + " value (a stale read), or the write began later");
                }
            }
            previousPoint = point;
        }
        return new Register(chain.size(), violations);
    }

    /** The terms (member, timeline) that acknowledged writes, in order of their first acknowledgement. */
    static List<Term> terms(List<Op> history) {
        Map<String, long[]> spans = new HashMap<>();
        for (Op op : history) {
            if (!op.acknowledgedWrite()) {
                continue;
            }
            long[] s = spans.computeIfAbsent(
                    op.server() + "/" + op.timeline(), k -> new long[] {Long.MAX_VALUE, Long.MIN_VALUE, 0});
            s[0] = Math.min(s[0], op.complete());
            s[1] = Math.max(s[1], op.invoke());
            s[2]++;
        }
        List<Term> terms = new ArrayList<>();
        spans.forEach((k, s) -> {
            int slash = k.lastIndexOf('/');
            terms.add(new Term(k.substring(0, slash), Integer.parseInt(k.substring(slash + 1)), s[0], s[1], s[2]));
        });
        terms.sort(Comparator.comparingLong(Term::firstComplete));
        return terms;
    }

    /**
     * Two members accepting writes at once: for terms of different members, each acknowledged a write that began
     * after the other had already acknowledged one ({@code [firstComplete, lastInvoke]} spans overlap). Client
     * latency only shrinks these spans, so an overlap is certain, never an artefact of timing.
     */
    static List<String> twoLeaders(List<Term> terms) {
        List<String> moments = new ArrayList<>();
        for (int a = 0; a < terms.size(); a++) {
            for (int b = a + 1; b < terms.size(); b++) {
                Term x = terms.get(a);
                Term y = terms.get(b);
                if (!x.server().equals(y.server())
                        && x.firstComplete() < y.lastInvoke()
                        && y.firstComplete() < x.lastInvoke()) {
                    add(
                            moments,
                            x.server() + " (timeline " + x.timeline() + ", " + seconds(x.firstComplete()) + "-"
                                    + seconds(x.lastInvoke()) + ") and " + y.server() + " (timeline " + y.timeline()
                                    + ", "
                                    + seconds(y.firstComplete()) + "-" + seconds(y.lastInvoke())
                                    + ") both acknowledged writes");
                }
            }
        }
        return moments;
    }

    /** The longest time between two successful operations of any client, from {@code from} to {@code to}: [start, length]. */
    /**
     * Leader terms that began outside every fault's window (from its injection until the cluster was healthy again,
     * and {@link #CLIENT_GRACE} more for clients to reconnect): a leader change nothing provoked. The first term is the
     * cluster's start, not a change.
     */
    static List<String> leaderChangesWithoutAFault(List<Term> terms, List<long[]> faultWindows) {
        List<String> changes = new ArrayList<>();
        for (int i = 1; i < terms.size(); i++) {
            Term t = terms.get(i);
            boolean provoked = faultWindows.stream()
                    .anyMatch(w -> t.firstComplete() >= w[0] && t.firstComplete() <= w[1] + CLIENT_GRACE);
            if (!provoked) {
                changes.add(t.server() + " (timeline " + t.timeline() + ") took its first write at "
                        + seconds(t.firstComplete()) + ", outside every fault");
            }
        }
        return changes;
    }

    /**
     * Asynchronous replication's loss window: how many acknowledged appends are missing and when each was
     * acknowledged relative to the start of the fault it was lost in (the first fault whose window ends after it:
     * negative = before the fault, on a standby that had not received it yet; positive = during it, on a leader that
     * was already cut off).
     */
    static String lossWindow(List<Op> history, List<Row> rows, List<long[]> faultWindows) {
        Set<Long> present = new HashSet<>();
        rows.forEach(r -> present.add(key(r.client(), r.seq())));
        long count = 0;
        long earliest = Long.MAX_VALUE;
        long latest = Long.MIN_VALUE;
        for (Op op : history) {
            if (op.kind() != Op.Kind.APPEND
                    || op.outcome() != Op.Outcome.OK
                    || present.contains(key(op.client(), op.value()))) {
                continue;
            }
            count++;
            long fault = faultWindows.stream()
                    .filter(w -> w[1] >= op.complete())
                    .mapToLong(w -> w[0])
                    .min()
                    .orElse(op.complete());
            earliest = Math.min(earliest, op.complete() - fault);
            latest = Math.max(latest, op.complete() - fault);
        }
        if (count == 0) {
            return "0 acknowledged appends lost";
        }
        return count + " acknowledged appends lost, acknowledged from " + signedSeconds(earliest) + " to "
                + signedSeconds(latest) + " relative to the start of the fault that lost them";
    }

    /**
     * The most WAL the acknowledged appends lost in one fault span: from the first to the last of them (where each
     * server's WAL ended right after its insert), plus the first one's own record. What the lag limit bounds.
     */
    static long largestWalLoss(List<Op> history, List<Row> rows, List<long[]> faultWindows) {
        Set<Long> present = new HashSet<>();
        rows.forEach(r -> present.add(key(r.client(), r.seq())));
        Map<Long, long[]> byFault = new HashMap<>(); // fault start -> {lowest lsn, highest lsn}
        for (Op op : history) {
            if (op.kind() != Op.Kind.APPEND
                    || op.outcome() != Op.Outcome.OK
                    || op.lsn() == 0
                    || present.contains(key(op.client(), op.value()))) {
                continue;
            }
            long fault = faultWindows.stream()
                    .filter(w -> w[1] >= op.complete())
                    .mapToLong(w -> w[0])
                    .min()
                    .orElse(op.complete());
            byFault.merge(fault, new long[] {op.lsn(), op.lsn()}, (a, b) ->
                    new long[] {Math.min(a[0], b[0]), Math.max(a[1], b[1])});
        }
        return byFault.values().stream()
                .mapToLong(r -> r[1] - r[0] + APPEND_WAL)
                .max()
                .orElse(0);
    }

    /** About what one append writes to the WAL (its heap and index records), added for the first lost one. */
    static final long APPEND_WAL = 200;

    private static String signedSeconds(long nanos) {
        return String.format(Locale.ROOT, "%+.2fs", nanos / 1e9);
    }

    /** How long after a fault's recovery a client may take to write on the new leader (its reconnect backoff). */
    static final long CLIENT_GRACE = 10_000_000_000L;

    static long[] longestGap(List<Op> history, long from, long to) {
        List<Long> done = new ArrayList<>();
        for (Op op : history) {
            if (op.outcome() == Op.Outcome.OK && op.complete() >= from && op.complete() <= to) {
                done.add(op.complete());
            }
        }
        done.sort(null);
        long last = from;
        long[] best = {from, 0};
        for (long t : done) {
            if (t - last > best[1]) {
                best = new long[] {last, t - last};
            }
            last = t;
        }
        if (to - last > best[1]) {
            best = new long[] {last, to - last};
        }
        return best;
    }

    static String seconds(long nanos) {
        return String.format(Locale.ROOT, "%.1fs", nanos / 1e9);
    }

    private static long key(int client, long seq) {
        return (long) client << 40 | seq;
    }

    private static void add(List<String> list, String problem) {
        list.add(problem);
    }

    /** The first few of {@code problems}, for a report. */
    static List<String> firstFew(List<String> problems) {
        return problems.size() <= SHOWN ? problems : problems.subList(0, SHOWN);
    }
}
