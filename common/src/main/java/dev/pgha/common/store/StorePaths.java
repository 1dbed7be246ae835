package dev.pgha.common.store;

/** The store layout of one cluster (see design.md): every znode path pgha uses is built here. */
public record StorePaths(String cluster) {
    public String root() {
        return "/pgha/" + cluster;
    }

    public String spec() {
        return root() + "/spec";
    }

    public String view() {
        return root() + "/view";
    }

    public String members() {
        return root() + "/members";
    }

    public String member(String id) {
        return members() + "/" + id;
    }

    public String keepers() {
        return root() + "/keepers";
    }

    public String keeper(String id) {
        return keepers() + "/" + id;
    }

    public String proxies() {
        return root() + "/proxies";
    }

    public String proxy(String id) {
        return proxies() + "/" + id;
    }

    public String sentinelLeader() {
        return root() + "/sentinel-leader";
    }

    public String history() {
        return root() + "/history";
    }

    /** The pending operator request (switchover, forced failover), if any. */
    public String request() {
        return root() + "/request";
    }

    /** postgres parameters set by `pgha config set`, applied by every keeper. */
    public String parameters() {
        return root() + "/parameters";
    }

    /** Restart requests: one child per member whose postgres should restart (`pgha config set --restart`). */
    public String restarts() {
        return root() + "/restarts";
    }

    public String restart(String id) {
        return restarts() + "/" + id;
    }

    /** Witnesses announce themselves here (ephemeral), so status can list them. */
    public String witnesses() {
        return root() + "/witnesses";
    }

    public String witness(String id) {
        return witnesses() + "/" + id;
    }
}
