package dev.pgha.common.model;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A member's tags (PGHA_TAGS, Patroni's tags), published with its keeper's status so that every rule reads them from
 * the same snapshot.
 *
 * @param noFailover       never promoted: neither by a failover nor by a switchover (nor a synchronous standby, since
 *                         the synchronous set is what a failover promotes from)
 * @param noSync           never a synchronous standby
 * @param noLoadBalance    not used by the read-only port
 * @param failoverPriority among candidates with equally much WAL, the higher wins (default 0)
 * @param cloneFrom        a preferred source for new standbys' copies (Patroni's clonefrom): a new member copies a
 *                         streaming standby so tagged rather than load the leader
 */
public record MemberTags(
        boolean noFailover, boolean noSync, boolean noLoadBalance, int failoverPriority, boolean cloneFrom) {
    public static final MemberTags NONE = new MemberTags(false, false, false, 0, false);
    /** The tags there are. */
    public static final List<String> NAMES =
            List.of("nofailover", "nosync", "noloadbalance", "failoverPriority", "cloneFrom");

    /**
     * Parses "nofailover=true,nosync=true,noloadbalance=true,failoverPriority=2,cloneFrom=true" (any subset, in any order; empty:
     * none).
     *
     * @throws IllegalArgumentException saying which tag and what it takes
     */
    public static MemberTags parse(String text) {
        return NONE.withOverrides(text);
    }

    /**
     * These tags with those in {@code text} ("nosync=true,failoverPriority=2") set over them; tags {@code text} does
     * not name keep their value.
     *
     * @throws IllegalArgumentException saying which tag and what it takes
     */
    public MemberTags withOverrides(String text) {
        if (text == null) {
            return this;
        }
        Map<String, String> tags = new LinkedHashMap<>();
        for (String part : text.split(",")) {
            if (part.isBlank()) {
                continue;
            }
            int eq = part.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("\"" + part.strip() + "\" is not TAG=VALUE");
            }
            tags.put(part.substring(0, eq).strip(), part.substring(eq + 1).strip());
        }
        boolean noFailover = this.noFailover;
        boolean noSync = this.noSync;
        boolean noLoadBalance = this.noLoadBalance;
        int priority = this.failoverPriority;
        boolean cloneFrom = this.cloneFrom;
        for (Map.Entry<String, String> t : tags.entrySet()) {
            String v = t.getValue();
            switch (t.getKey()) {
                case "nofailover" -> noFailover = bool(t.getKey(), v);
                case "nosync" -> noSync = bool(t.getKey(), v);
                case "noloadbalance" -> noLoadBalance = bool(t.getKey(), v);
                case "cloneFrom" -> cloneFrom = bool(t.getKey(), v);
                case "failoverPriority" -> {
                    try {
                        priority = Integer.parseInt(v);
                    } catch (NumberFormatException e) {
                        priority = -1;
                    }
                    if (priority < 0 || priority > 1000) {
                        throw new IllegalArgumentException("tag failoverPriority takes a number 0-1000");
                    }
                }
                default ->
                    throw new IllegalArgumentException(
                            "unknown tag " + t.getKey() + "; tags: " + String.join(", ", NAMES));
            }
        }
        return new MemberTags(noFailover, noSync, noLoadBalance, priority, cloneFrom);
    }

    private static boolean bool(String tag, String v) {
        return switch (v) {
            case "true" -> true;
            case "false" -> false;
            default -> throw new IllegalArgumentException("tag " + tag + " takes true or false");
        };
    }

    /** The tags set, as `pgha status` shows them: "nofailover,nosync,failoverPriority=2"; "" for none. */
    public String describe() {
        List<String> set = new ArrayList<>();
        if (noFailover) {
            set.add("nofailover");
        }
        if (noSync) {
            set.add("nosync");
        }
        if (noLoadBalance) {
            set.add("noloadbalance");
        }
        if (failoverPriority != 0) {
            set.add("failoverPriority=" + failoverPriority);
        }
        if (cloneFrom) {
            set.add("cloneFrom");
        }
        return String.join(",", set);
    }
}
