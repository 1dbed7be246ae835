package dev.pgha.keeper;

import dev.pgha.common.model.Role;
import java.util.ArrayList;
import java.util.List;

/**
 * What a member's callbacks are told, from one look at its postgres to the next: on_start when it came up, on_stop
 * when it went down, on_role_change when it runs in another role than the one it last ran in (a promotion, or a former
 * leader back as a replica). A pure function of the two looks, tested by a table.
 */
final class RoleEvents {
    enum Event {
        ON_START("on_start"),
        ON_STOP("on_stop"),
        ON_ROLE_CHANGE("on_role_change");

        final String word;

        Event(String word) {
            this.word = word;
        }
    }

    /** An event and the role it reports. */
    record Fired(Event event, Role role) {
        /** The role as Patroni's callbacks name it. */
        String roleWord() {
            return role == Role.PRIMARY ? "primary" : "replica";
        }
    }

    /**
     * What was seen of postgres: up or not, and the role it last ran in (NONE before it ever ran).
     */
    record Seen(boolean up, Role lastRole) {
        static final Seen NOTHING = new Seen(false, Role.NONE);
    }

    private RoleEvents() {}

    /**
     * @param before what the previous look saw
     * @param up     whether postgres runs now
     * @param role   its role now (ignored when it does not run)
     * @return the events to fire, in order, and what this look saw
     */
    static Step step(Seen before, boolean up, Role role) {
        boolean running = up && role != Role.NONE;
        List<Fired> fired = new ArrayList<>();
        if (running && !before.up()) {
            fired.add(new Fired(Event.ON_START, role));
        }
        if (running && before.lastRole() != Role.NONE && before.lastRole() != role) {
            fired.add(new Fired(Event.ON_ROLE_CHANGE, role));
        }
        if (!running && before.up()) {
            fired.add(new Fired(Event.ON_STOP, before.lastRole()));
        }
        return new Step(List.copyOf(fired), new Seen(running, running ? role : before.lastRole()));
    }

    record Step(List<Fired> fired, Seen seen) {}
}
