package dev.pgha.chaos;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

/** The faults the nemesis injects, and the order it injects them in. */
enum Fault {
    KILL_LEADER("kill-leader", "kill -9 of the leader's node (daemon and postgres), restarted 5 s later"),
    KILL_STANDBY("kill-standby", "kill -9 of a standby's node, restarted 5 s later"),
    PAUSE_LEADER("pause-leader", "SIGSTOP of the leader's daemon for 8 s (4 session timeouts), then SIGCONT"),
    PAUSE_NODE(
            "pause-node",
            "SIGSTOP of the leader's daemon and every postgres process of its node for 8 s (a frozen VM), then SIGCONT"),
    PARTITION_LEADER(
            "partition-leader",
            "the leader's namespace drops all traffic to and from the other nodes for"
                    + " 12 s; clients still reach it"),
    KILL_ZK_PEER("kill-zk-peer", "kill -9 of the ZooKeeper peer on the leader's node, restarted 10 s later"),
    STORE_OUTAGE("store-outage", "kill -9 of every ZooKeeper peer; all restarted 30 s later"),
    RESTART_ALL("restart-all", "kill -9 of every node at once, all restarted"),
    CPU_STARVATION("cpu-starvation", "stress-ng saturates every core for 60 s (bounded), nothing else"),
    CLOCK_SKEW(
            "clock-skew",
            "one node's wall clock (its daemon's) 30 s ahead or behind for 30 s (libfaketime), then right again; a"
                    + " leader change while it is wrong counts as one without a fault"),
    STANDBY_DISK_FULL(
            "standby-disk-full",
            "a standby's data volume (a tmpfs of its own) filled to the last byte for 20 s, then freed");

    final String label;
    final String description;

    /** The fault with this label; the message lists the labels when there is none. */
    static Fault byLabel(String label) {
        for (Fault f : values()) {
            if (f.label.equals(label)) {
                return f;
            }
        }
        List<String> labels = new ArrayList<>();
        for (Fault f : values()) {
            labels.add(f.label);
        }
        throw new IllegalArgumentException("no fault kind \"" + label + "\": use one of " + String.join(", ", labels));
    }

    Fault(String label, String description) {
        this.label = label;
        this.description = description;
    }

    /**
     * {@code count} faults from {@code seed}: shuffled rounds of every kind, so even a short run covers distinct
     * kinds and a long one covers all of them evenly.
     */
    static List<Fault> schedule(long seed, int count) {
        return schedule(seed, count, List.of(values()));
    }

    /** As {@link #schedule(long, int)}, of the {@code kinds} given only. */
    static List<Fault> schedule(long seed, int count, List<Fault> kinds) {
        Random random = new Random(seed);
        List<Fault> out = new ArrayList<>();
        while (out.size() < count) {
            List<Fault> round = new ArrayList<>(kinds);
            Collections.shuffle(round, random);
            out.addAll(round.subList(0, Math.min(round.size(), count - out.size())));
        }
        return out;
    }
}
