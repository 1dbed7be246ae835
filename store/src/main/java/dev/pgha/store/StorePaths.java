package dev.pgha.store;

/**
 * The store layout of one cluster (docs/architecture.md, "Store layout"): every znode path pgha uses is built here,
 * and nothing outside this module sees one.
 */
record StorePaths(String cluster) {
    String root() {
        return "/pgha/" + cluster;
    }

    String spec() {
        return root() + "/spec";
    }

    String view() {
        return root() + "/view";
    }

    String members() {
        return root() + "/members";
    }

    String member(String id) {
        return members() + "/" + id;
    }

    String keepers() {
        return root() + "/keepers";
    }

    String keeper(String id) {
        return keepers() + "/" + id;
    }

    String proxies() {
        return root() + "/proxies";
    }

    String proxy(String id) {
        return proxies() + "/" + id;
    }

    String sentinelLeader() {
        return root() + "/sentinel-leader";
    }

    String history() {
        return root() + "/history";
    }

    /** The pending operator request (switchover, forced failover), if any. */
    String request() {
        return root() + "/request";
    }

    /** The base backup job (`pgha backup create`, the schedule), one at a time. */
    String backup() {
        return root() + "/backup";
    }

    /** postgres parameters set by `pgha config set`, applied by every keeper. */
    String parameters() {
        return root() + "/parameters";
    }

    /** Restart requests: one child per member whose postgres should restart (`pgha config set --restart`). */
    String restarts() {
        return root() + "/restarts";
    }

    String restart(String id) {
        return restarts() + "/" + id;
    }

    /** Witnesses' embedded ZooKeeper servers (persistent, one child per witness holding its server id). */
    String witnessServers() {
        return root() + "/witness-servers";
    }

    String witnessServer(String id) {
        return witnessServers() + "/" + id;
    }

    /** Members an operator removed (`pgha member remove`): one child each, until a fresh node joins as it. */
    String removed() {
        return root() + "/removed";
    }

    String removed(String id) {
        return removed() + "/" + id;
    }

    /** The embedded ensemble's servers that left for good: one child per id, never given to a new server. */
    String retiredServers() {
        return root() + "/retired-servers";
    }

    /** Re-clone requests: one child per standby whose data should be cloned from the leader again (`pgha reinit`). */
    String reinits() {
        return root() + "/reinits";
    }

    String reinit(String id) {
        return reinits() + "/" + id;
    }

    /** Witnesses announce themselves here (ephemeral), so status can list them. */
    String witnesses() {
        return root() + "/witnesses";
    }

    String witness(String id) {
        return witnesses() + "/" + id;
    }
}
