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
    PARTITION_LEADER(
            "partition-leader",
            "the leader's namespace drops all traffic to and from the other nodes for"
                    + " 12 s; clients still reach it"),
    KILL_ZK_PEER("kill-zk-peer", "kill -9 of the ZooKeeper peer on the leader's node, restarted 10 s later"),
    STORE_OUTAGE("store-outage", "kill -9 of every ZooKeeper peer; all restarted 30 s later"),
    RESTART_ALL("restart-all", "kill -9 of every node at once, all restarted");

    final String label;
    final String description;

    Fault(String label, String description) {
        this.label = label;
        this.description = description;
    }

    /**
     * {@code count} faults from {@code seed}: shuffled rounds of every kind, so even a short run covers distinct
     * kinds and a long one covers all of them evenly.
     */
    static List<Fault> schedule(long seed, int count) {
        Random random = new Random(seed);
        List<Fault> out = new ArrayList<>();
        while (out.size() < count) {
            List<Fault> round = new ArrayList<>(List.of(values()));
            Collections.shuffle(round, random);
            out.addAll(round.subList(0, Math.min(round.size(), count - out.size())));
        }
        return out;
    }
}
