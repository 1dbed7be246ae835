package dev.pgha.chaos;

import java.util.ArrayList;
import java.util.List;

/**
 * The suite's own network: a hub namespace holding a bridge (and the workload, which runs there), and one namespace
 * per node joined to the bridge by a veth pair. Addresses are the suite's own (10.213.0.0/24, never routed outside
 * these namespaces); the host's network is not touched. {@link #destroy()} kills every process still inside the
 * namespaces (only the suite starts processes there) and deletes them.
 */
final class Topology {
    static final String SUBNET = "10.213.0.";
    static final String HUB_ADDRESS = SUBNET + "254";

    final String prefix;
    final int nodes;

    Topology(String prefix, int nodes) {
        this.prefix = prefix;
        this.nodes = nodes;
    }

    String hub() {
        return prefix + "-hub";
    }

    String node(int i) {
        return prefix + "-n" + i;
    }

    static String address(int i) {
        return SUBNET + i;
    }

    List<String> namespaces() {
        List<String> all = new ArrayList<>();
        all.add(hub());
        for (int i = 1; i <= nodes; i++) {
            all.add(node(i));
        }
        return all;
    }

    void create() {
        Shell.check("ip", "netns", "add", hub());
        Shell.check("ip", "-n", hub(), "link", "set", "lo", "up");
        Shell.check("ip", "-n", hub(), "link", "add", "br0", "type", "bridge");
        Shell.check("ip", "-n", hub(), "addr", "add", HUB_ADDRESS + "/24", "dev", "br0");
        Shell.check("ip", "-n", hub(), "link", "set", "br0", "up");
        for (int i = 1; i <= nodes; i++) {
            String ns = node(i);
            Shell.check("ip", "netns", "add", ns);
            Shell.check("ip", "-n", ns, "link", "set", "lo", "up");
            Shell.check(
                    "ip", "-n", hub(), "link", "add", "veth" + i, "type", "veth", "peer", "name", "eth0", "netns", ns);
            Shell.check("ip", "-n", hub(), "link", "set", "veth" + i, "master", "br0");
            Shell.check("ip", "-n", hub(), "link", "set", "veth" + i, "up");
            Shell.check("ip", "-n", ns, "addr", "add", address(i) + "/24", "dev", "eth0");
            Shell.check("ip", "-n", ns, "link", "set", "eth0", "up");
        }
    }

    /** Node {@code i} can no longer reach the other nodes (nor they it); the workload in the hub still reaches it. */
    void isolate(int i) {
        for (int j = 1; j <= nodes; j++) {
            if (j != i) {
                Shell.check("ip", "netns", "exec", node(i), "iptables", "-A", "INPUT", "-s", address(j), "-j", "DROP");
                Shell.check("ip", "netns", "exec", node(i), "iptables", "-A", "OUTPUT", "-d", address(j), "-j", "DROP");
            }
        }
    }

    void heal(int i) {
        Shell.check("ip", "netns", "exec", node(i), "iptables", "-F");
    }

    /** Kills whatever still runs in the suite's namespaces and deletes them; safe to call more than once. */
    void destroy() {
        List<String> existing =
                List.of(Shell.run(List.of("ip", "netns", "list")).output().split("\n"));
        for (String ns : namespaces()) {
            if (existing.stream().noneMatch(line -> line.equals(ns) || line.startsWith(ns + " "))) {
                continue;
            }
            for (int attempt = 0; attempt < 20; attempt++) {
                String pids = Shell.run(List.of("ip", "netns", "pids", ns)).output();
                if (pids.isBlank()) {
                    break;
                }
                for (String pid : pids.split("\\s+")) {
                    Shell.signal(Long.parseLong(pid), "KILL");
                }
                sleep(250);
            }
            Shell.run(List.of("ip", "netns", "del", ns));
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
