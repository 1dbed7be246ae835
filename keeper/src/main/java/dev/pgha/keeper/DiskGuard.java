package dev.pgha.keeper;

import java.nio.file.Path;
import java.sql.SQLException;
import java.util.OptionalInt;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A full data volume crashes postgres (and a leader that crashes on a full disk fails over to standbys whose disks
 * are as full): past postgres.diskFullPercent it goes read-only instead, and /flycheck/role says "readonly", until
 * usage is 2 points below. Every member applies it to its own volume, so a clone that copied the setting from a full
 * leader clears it.
 */
final class DiskGuard {
    private static final Logger log = LoggerFactory.getLogger(DiskGuard.class);

    private final Path volume;
    private final int limit;

    /** @param limit postgres.diskFullPercent (100 = never) */
    DiskGuard(Path volume, int limit) {
        this.volume = volume;
        this.limit = limit;
    }

    /** Switches postgres to read-only, or back, when the volume's usage asks for it; {@code describe} names SQL failures. */
    void guard(PgClient.PgState state, PgClient client, LocalPostgres postgres) {
        if (limit >= 100 && !state.defaultReadOnly()) {
            return;
        }
        OptionalInt used = DiskUsage.usedPercent(volume);
        if (used.isEmpty()) {
            return;
        }
        boolean wanted = DiskUsage.readOnly(used.getAsInt(), limit, state.defaultReadOnly());
        if (wanted == state.defaultReadOnly()) {
            return;
        }
        try {
            client.setDefaultReadOnly(wanted);
            if (wanted) {
                log.warn(
                        "data volume {}% full (postgres.diskFullPercent is {}): postgres is read-only until space is "
                                + "freed or the volume grows",
                        used.getAsInt(), limit);
            } else {
                log.info("data volume {}% full: postgres accepts writes again", used.getAsInt());
            }
        } catch (SQLException e) {
            log.warn("cannot switch postgres to read-{}: {}", wanted ? "only" : "write", postgres.describe(e));
        }
    }
}
