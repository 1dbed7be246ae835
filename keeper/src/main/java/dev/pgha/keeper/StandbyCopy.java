package dev.pgha.keeper;

import dev.pgha.common.model.Lsn;
import dev.pgha.common.secret.Secret;
import java.sql.SQLException;
import java.time.Duration;
import java.util.function.BooleanSupplier;
import java.util.function.Function;

/**
 * Whether a new standby may copy another standby (a cloneFrom member) instead of the leader: the leader must keep the
 * WAL that follows the copy ({@link CloneSource#walContinues}), read from both servers just before the copy.
 */
final class StandbyCopy {
    /** How long a new standby waits for the leader to create its slot before it copies another standby. */
    private static final Duration SLOT_WAIT = Duration.ofSeconds(5);

    private StandbyCopy() {}

    /**
     * Why a copy of standby {@code source} would not be followed by the leader's WAL through {@code slot}; null when it
     * would. A new member's slot appears on the leader within a heartbeat or two of its registration: this waits that
     * long for it.
     */
    static String refusal(
            Upstream leader,
            Upstream source,
            String slot,
            Secret suPassword,
            BooleanSupplier closing,
            Function<SQLException, String> describe) {
        long slotFrom;
        long replayed;
        try (PgClient l = new PgClient(leader.host(), leader.port(), suPassword);
                PgClient s = new PgClient(source.host(), source.port(), suPassword)) {
            slotFrom = l.slotRestartLsn(slot);
            for (long until = System.nanoTime() + SLOT_WAIT.toNanos();
                    slotFrom == 0 && System.nanoTime() < until && !closing.getAsBoolean(); ) {
                Thread.sleep(100);
                slotFrom = l.slotRestartLsn(slot);
            }
            replayed = s.replayedLsn();
        } catch (SQLException e) {
            return "cannot compare WAL positions: " + describe.apply(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted";
        }
        if (CloneSource.walContinues(replayed, slotFrom)) {
            return null;
        }
        return slotFrom == 0
                ? "the leader holds no WAL for this member yet (slot " + slot + ")"
                : "it has replayed up to " + Lsn.format(replayed) + ", the leader keeps WAL for this member from "
                        + Lsn.format(slotFrom);
    }
}
