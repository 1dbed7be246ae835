package dev.pgha.app.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pgha.common.model.ClusterView;
import dev.pgha.common.model.Phase;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Views as a member sees them (some skipped by the watch) to the leader changes and failover durations counted. */
class LeaderChangesTest {
    private static final Instant T0 = Instant.parse("2026-11-23T12:00:00Z");

    /**
     * Each row: the views seen, as generation:phase:leader:second (leader "-" = none), and the changes expected as
     * from>to@seconds (seconds "?" when the failover's start was not seen).
     */
    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            a single leader from the start                    | 1:INITIALIZING:a:0 2:NORMAL:a:1                               |
            failover seen step by step                        | 2:NORMAL:a:0 3:FAILOVER_FENCING:-:10 4:FAILOVER_PROMOTING:b:11 5:NORMAL:b:12 | a>b@2
            fencing skipped by the watch                      | 2:NORMAL:a:0 4:FAILOVER_PROMOTING:b:11 5:NORMAL:b:12 | a>b@1
            everything in between skipped                     | 2:NORMAL:a:0 5:NORMAL:b:12                      | a>b@?
            the former leader returns: an outage, no change   | 2:NORMAL:a:0 3:FAILOVER_FENCING:-:10 4:NORMAL:a:20 |
            two failovers                                     | 2:NORMAL:a:0 3:FAILOVER_FENCING:-:10 4:NORMAL:b:13 5:FAILOVER_FENCING:-:30 6:FAILOVER_PROMOTING:c:31 7:NORMAL:c:35 | a>b@3 b>c@5
            a member started during a failover counts the end | 3:FAILOVER_FENCING:-:10 4:NORMAL:b:12           |
            a stale or repeated view is ignored               | 2:NORMAL:a:0 5:NORMAL:b:12 4:NORMAL:a:11 5:NORMAL:b:12 | a>b@?
            """)
    void countsChangesOfLeader(String name, String views, String expected) {
        LeaderChanges changes = new LeaderChanges();
        List<String> seen = new ArrayList<>();
        for (String v : views.trim().split("\\s+")) {
            String[] f = v.split(":");
            ClusterView view = new ClusterView(
                    Long.parseLong(f[0]),
                    f[2].equals("-") ? null : f[2],
                    List.of(),
                    List.of(),
                    List.of(),
                    Phase.valueOf(f[1]),
                    null,
                    null,
                    null,
                    T0.plusSeconds(Long.parseLong(f[3])));
            changes.observe(view)
                    .ifPresent(c -> seen.add(c.from() + ">" + c.to() + "@"
                            + c.failover()
                                    .map(Duration::toSeconds)
                                    .map(String::valueOf)
                                    .orElse("?")));
        }
        assertThat(String.join(" ", seen))
                .isEqualTo(Optional.ofNullable(expected).orElse("").trim());
    }
}
