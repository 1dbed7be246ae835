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
}
