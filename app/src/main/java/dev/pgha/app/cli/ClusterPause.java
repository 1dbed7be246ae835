package dev.pgha.app.cli;

import dev.pgha.common.PghaException;
import dev.pgha.common.config.Durations;
import dev.pgha.common.model.ClusterSpec;
import dev.pgha.common.store.ClusterStore;
import java.time.DateTimeException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.temporal.ChronoUnit;
import java.util.Optional;

/**
 * `pgha pause` and `pgha resume`, and the operations API's POST /pause and /resume: the pause lives in the cluster
 * spec, written with compare-and-set; the elected sentinel keeps it when it rewrites the spec and ends it at its end
 * time.
 */
public final class ClusterPause {
    private ClusterPause() {}

    /**
     * Pauses the cluster, or changes the end of the pause it is in (keeping when it began).
     *
     * @param until when the elected sentinel resumes it; null = only `pgha resume` does
     * @return the pause now in force
     */
    public static ClusterSpec.Pause pause(ClusterStore store, Instant until) {
        Instant now = Instant.now();
        if (until != null && !until.isAfter(now)) {
            throw new PghaException("the pause's end (" + until.truncatedTo(ChronoUnit.SECONDS) + ") has passed");
        }
        return SpecUpdate.apply(
                        store,
                        spec -> spec.withPause(new ClusterSpec.Pause(
                                spec.paused() ? spec.pause().since() : now, until)))
                .pause();
    }

    /** Resumes the cluster; returns the pause that ended, empty when it was not paused. */
    public static Optional<ClusterSpec.Pause> resume(ClusterStore store) {
        ClusterSpec.Pause[] ended = new ClusterSpec.Pause[1];
        SpecUpdate.apply(store, spec -> {
            ended[0] = spec.pause();
            return spec.withPause(null);
        });
        return Optional.ofNullable(ended[0]);
    }

    /**
     * An end time as given: a duration from now ({@code 30m}, {@code 2h}) or a time with its offset
     * ({@code 2026-11-29T22:00:00Z}, {@code 2026-11-29T23:00:00+01:00}).
     */
    public static Instant until(String text, Instant now) {
        String t = text.strip();
        try {
            return OffsetDateTime.parse(t).toInstant();
        } catch (DateTimeException notATime) {
            try {
                return now.plus(Durations.parse(t));
            } catch (IllegalArgumentException notADuration) {
                throw new PghaException("--until " + t + ": not a positive duration (30m, 2h) or a time with its "
                        + "offset (2026-11-29T22:00:00Z)");
            }
        }
    }

    /** "since 2026-11-29T20:00:00Z (until 2026-11-29T21:00:00Z)" */
    public static String describe(ClusterSpec.Pause p) {
        return "since " + p.since().truncatedTo(ChronoUnit.SECONDS)
                + (p.until() == null ? "" : " (until " + p.until().truncatedTo(ChronoUnit.SECONDS) + ")");
    }
}
