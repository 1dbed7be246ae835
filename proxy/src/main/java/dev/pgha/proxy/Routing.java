package dev.pgha.proxy;

import java.util.List;

/** What a proxy does with new client connections right now. */
public sealed interface Routing {
    /** Relay them to one of {@code routes} (round robin); connections elsewhere are closed. */
    record To(List<Route> routes) implements Routing {
        public To {
            routes = List.copyOf(routes);
            if (routes.isEmpty()) {
                throw new IllegalArgumentException("no routes");
            }
        }
    }

    /**
     * No destination for now, but one is expected soon (a failover): hold new connections, unread, until there is
     * one or the hold timeout passes; then refuse them with {@code reason}.
     */
    record Hold(String reason) implements Routing {}

    /** Refuse new connections at once with {@code reason} (e.g. this node lost the store). */
    record Refuse(String reason) implements Routing {}

    static Routing to(Route route) {
        return new To(List.of(route));
    }

    /** The same destinations, whatever their generations and order. */
    static boolean sameDestinations(List<Route> a, List<Route> b) {
        return a.size() == b.size() && a.stream().allMatch(r -> b.stream().anyMatch(r::sameLeader));
    }

    static String describe(List<Route> routes) {
        return routes.size() == 1 ? routes.get(0).toString() : routes.toString();
    }
}
