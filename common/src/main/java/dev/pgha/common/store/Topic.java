package dev.pgha.common.store;

/** The parts of a cluster's state a component can be told about when they change. */
public enum Topic {
    /** The cluster view (who leads). */
    VIEW,
    /** The cluster spec the elected sentinel writes. */
    SPEC,
    /** Member registrations. */
    MEMBERS,
    /** Members and witnesses an operator removed (`pgha member remove`). */
    REMOVALS,
    /** Keepers' statuses (one per live member). */
    KEEPERS,
    /** Proxies' acknowledgements. */
    PROXIES,
    /** The pending operator request. */
    REQUEST,
    /** postgres parameters set by `pgha config set`. */
    PARAMETERS,
    /** Restart requests (`pgha restart`, `pgha config set --restart`). */
    RESTARTS,
    /** Re-clone requests (`pgha reinit`). */
    REINITS,
    /** The base backup job. */
    BACKUP
}
