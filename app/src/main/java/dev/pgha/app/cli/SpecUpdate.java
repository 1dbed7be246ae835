package dev.pgha.app.cli;

import dev.pgha.common.PghaException;
import dev.pgha.common.model.ClusterSpec;
import dev.pgha.common.store.ClusterStore;
import dev.pgha.common.store.Versioned;
import java.util.Optional;
import java.util.function.UnaryOperator;

/** An operator's change of the cluster spec (pg_hba rules, the pause): compare-and-set, read again on a conflict. */
final class SpecUpdate {
    private static final int ATTEMPTS = 5;

    private SpecUpdate() {}

    /**
     * Changes the stored spec with {@code change}, reading it again when another writer (the elected sentinel, or
     * another operator) changed it meanwhile; returns what it wrote.
     */
    static ClusterSpec apply(ClusterStore store, UnaryOperator<ClusterSpec> change) {
        for (int i = 0; i < ATTEMPTS; i++) {
            Optional<Versioned<ClusterSpec>> current = store.snapshot().storedSpec();
            if (current.isEmpty()) {
                throw new PghaException("the cluster has no spec yet (its sentinel has not run): start a member first");
            }
            ClusterSpec next = change.apply(current.get().value());
            if (next.equals(current.get().value())
                    || store.compareAndSetSpec(next, Optional.of(current.get().version()))) {
                return next;
            }
        }
        throw new PghaException("the cluster spec kept changing under this command; run it again");
    }
}
