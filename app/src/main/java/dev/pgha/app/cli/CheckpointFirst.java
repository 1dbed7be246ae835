package dev.pgha.app.cli;

import dev.pgha.common.PghaException;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Optional;

/**
 * The first step of a planned switchover: a CHECKPOINT on the leader before the hold begins. The leader's clean
 * shutdown inside the hold must write every dirty buffer (finishing at full speed the checkpoint postgres is
 * usually spreading out at that moment): done beforehand, that work no longer lengthens the clients' wait, and the
 * shutdown checkpoint has only what was written since. Best effort: a leader that cannot checkpoint within 60 s (or at
 * all) still switches over, its shutdown doing the work as before.
 */
public final class CheckpointFirst {
    /** As long as a CHECKPOINT may take before the switchover goes on without it. */
    private static final String BOUND = "SET statement_timeout = '60s'";

    private CheckpointFirst() {}

    /** Runs CHECKPOINT on the leader; what went wrong, if anything (one line, for the caller to show or log). */
    public static Optional<String> onLeader(Admin admin) {
        try (Connection c = admin.leaderConnection("postgres");
                Statement st = c.createStatement()) {
            st.execute(BOUND);
            st.execute("CHECKPOINT");
            return Optional.empty();
        } catch (SQLException | PghaException e) {
            return Optional.of(
                    "no checkpoint before the switchover (its clean shutdown does that work): " + e.getMessage());
        }
    }
}
