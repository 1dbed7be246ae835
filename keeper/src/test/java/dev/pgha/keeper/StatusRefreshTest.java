package dev.pgha.keeper;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pgha.common.model.KeeperStatus;
import dev.pgha.common.model.Statuses;
import java.time.Duration;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class StatusRefreshTest {
    private static final long SESSION = 7;

    /**
     * Each row: what the new status changes against the last one written ("time": only its stamp, 100 ms later),
     * the session it was read on, the milliseconds since the last write (monotonic clock), cluster.failTimeout, and
     * whether it is written.
     */
    @ParameterizedTest(name = "{0}, session {1}, {2} ms later, failTimeout {3}: written {4}")
    @CsvSource({
        // an idle member: its unchanged status goes out once every 2 s, not every heartbeat
        "time,       7, 500,   10s, false",
        "time,       7, 1999,  10s, false",
        "time,       7, 2000,  10s, true",
        "time,       7, 60000, 10s, true",
        // a short fail timeout: a fifth of it
        "time,       7, 500,   2s,  true",
        "time,       7, 300,   2s,  false",
        // anything the sentinel reads changes: at once
        "lsn,        7, 10,    10s, true",
        "health,     7, 10,    10s, true",
        "generation, 7, 10,    10s, true",
        "walFinal,   7, 10,    10s, true",
        "stopping,   7, 10,    10s, true",
        // a new store session put the old status back, stamped before: a fresh one at once
        "time,       8, 10,    10s, true",
        // the snapshot's requests ran on two sessions: unknown, so written
        "time,       0, 10,    10s, true",
    })
    void anUnchangedStatusIsWrittenAgainOnlyWhenTheSentinelNeedsItFresh(
            String change, long session, long millisLater, String failTimeout, boolean written) {
        KeeperStatus last = Statuses.primary("k1", 1000).build();
        Statuses.Builder next = Statuses.primary("k1", 1000).at(last.updatedAt().plusMillis(100));
        switch (change) {
            case "lsn" -> next.written(1001);
            case "health" -> next.unhealthy("postgres does not answer");
            case "generation" -> next.applied(11);
            case "walFinal" -> next.walFinal(10);
            case "stopping" -> next.stopping();
            default -> {}
        }
        long at = 5_000_000_000L;
        StatusRefresh.Written w = new StatusRefresh.Written(last, SESSION, at);
        Duration timeout = Duration.parse("PT" + failTimeout.toUpperCase());
        assertThat(StatusRefresh.due(w, next.build(), session, at + millisLater * 1_000_000, timeout))
                .isEqualTo(written);
    }

    @ParameterizedTest(name = "nothing written yet: written")
    @CsvSource({"7", "0"})
    void theFirstStatusIsWritten(long session) {
        assertThat(StatusRefresh.due(null, Statuses.primary("k1", 1).build(), session, 0, Duration.ofSeconds(10)))
                .isTrue();
    }
}
