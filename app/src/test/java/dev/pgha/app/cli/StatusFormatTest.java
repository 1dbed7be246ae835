package dev.pgha.app.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pgha.common.model.ClusterSpec;
import dev.pgha.common.model.Phase;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Golden output of pgha status: the table operators read and the JSON scripts parse. */
class StatusFormatTest {
    private static final ClusterStatus STATUS = new ClusterStatus(
            "pg-prod",
            12,
            Phase.NORMAL,
            "member b leads; synchronous standbys: c",
            "b",
            null,
            List.of(
                    new ClusterStatus.Member(
                            "b",
                            "ams",
                            "leader",
                            "running",
                            3,
                            null,
                            new ClusterStatus.Checks(3, 3, List.of()),
                            "10.0.0.2:5433",
                            Duration.ofSeconds(7384),
                            ""),
                    new ClusterStatus.Member(
                            "c",
                            "ams",
                            "replica",
                            "streaming",
                            3,
                            0L,
                            new ClusterStatus.Checks(3, 3, List.of()),
                            "10.0.0.3:5433",
                            Duration.ofSeconds(95),
                            ""),
                    new ClusterStatus.Member("a", "lhr", "replica", "down", 0, null, null, "10.0.0.1:5433", null, ""),
                    new ClusterStatus.Member(
                            "w1", null, "witness", "running", 0, null, null, null, Duration.ofDays(3), "")),
            List.of("member a is down: its keeper does not report (node or daemon stopped)"));

    @Test
    void theTableListsTheLeaderFirstWithEveryColumnAndTheWarnings() {
        assertThat(StatusFormat.table(STATUS)).isEqualTo("""
                Cluster pg-prod: generation 12, NORMAL (member b leads; synchronous standbys: c)
                ID  REGION  ROLE     STATE      TIMELINE  LAG  CHECKS  ADDRESS        UPTIME
                b   ams     leader   running    3         -    3/3     10.0.0.2:5433  2h3m
                c   ams     replica  streaming  3         0 B  3/3     10.0.0.3:5433  1m35s
                a   lhr     replica  down       -         -    -       10.0.0.1:5433  -
                w1  -       witness  running    -         -    -       -              3d0h
                Warnings:
                  ! member a is down: its keeper does not report (node or daemon stopped)
                """);
    }

    @Test
    void theJsonHasAStableShape() {
        assertThat(StatusFormat.json(STATUS)).isEqualTo("""
                {
                  "cluster" : "pg-prod",
                  "generation" : 12,
                  "phase" : "NORMAL",
                  "reason" : "member b leads; synchronous standbys: c",
                  "leader" : "b",
                  "paused" : false,
                  "paused_since" : null,
                  "paused_until" : null,
                  "members" : [ {
                    "id" : "b",
                    "region" : "ams",
                    "role" : "leader",
                    "state" : "running",
                    "timeline" : 3,
                    "lag_bytes" : null,
                    "checks" : {
                      "passing" : 3,
                      "total" : 3,
                      "failing" : [ ]
                    },
                    "address" : "10.0.0.2:5433",
                    "uptime_seconds" : 7384,
                    "tags" : "",
                    "store" : null
                  }, {
                    "id" : "c",
                    "region" : "ams",
                    "role" : "replica",
                    "state" : "streaming",
                    "timeline" : 3,
                    "lag_bytes" : 0,
                    "checks" : {
                      "passing" : 3,
                      "total" : 3,
                      "failing" : [ ]
                    },
                    "address" : "10.0.0.3:5433",
                    "uptime_seconds" : 95,
                    "tags" : "",
                    "store" : null
                  }, {
                    "id" : "a",
                    "region" : "lhr",
                    "role" : "replica",
                    "state" : "down",
                    "timeline" : null,
                    "lag_bytes" : null,
                    "checks" : null,
                    "address" : "10.0.0.1:5433",
                    "uptime_seconds" : null,
                    "tags" : "",
                    "store" : null
                  }, {
                    "id" : "w1",
                    "region" : null,
                    "role" : "witness",
                    "state" : "running",
                    "timeline" : null,
                    "lag_bytes" : null,
                    "checks" : null,
                    "address" : null,
                    "uptime_seconds" : 259200,
                    "tags" : "",
                    "store" : null
                  } ],
                  "warnings" : [ "member a is down: its keeper does not report (node or daemon stopped)" ]
                }
                """);
    }

    @Test
    void aPausedClusterSaysSoUnderItsNameAndInTheJson() {
        ClusterStatus paused = new ClusterStatus(
                "pg-prod",
                13,
                Phase.FAILOVER_FENCING,
                "no leader: paused since 2026-11-29T20:00:00Z: the cluster has no leader since member b lost it",
                null,
                new ClusterSpec.Pause(Instant.parse("2026-11-29T20:00:00.123Z"), Instant.parse("2026-11-29T21:00:00Z")),
                STATUS.members(),
                List.of());
        assertThat(StatusFormat.table(paused)).startsWith("""
                        Cluster pg-prod: generation 13, FAILOVER_FENCING (no leader: paused since 2026-11-29T20:00:00Z: \
                        the cluster has no leader since member b lost it)
                        PAUSED since 2026-11-29T20:00:00Z (until 2026-11-29T21:00:00Z): no automatic failover, no \
                        automatic start of a stopped postgres; `pgha resume` ends it
                        ID  REGION""");
        assertThat(StatusFormat.json(paused)).contains("""
                          "paused" : true,
                          "paused_since" : "2026-11-29T20:00:00.123Z",
                          "paused_until" : "2026-11-29T21:00:00Z",
                        """);
    }

    @Test
    void aTagsColumnOnlyWhenAMemberHasTags() {
        ClusterStatus tagged = new ClusterStatus(
                "pg-prod",
                12,
                Phase.NORMAL,
                "member b leads",
                "b",
                null,
                List.of(
                        new ClusterStatus.Member(
                                "b", null, "leader", "running", 3, null, null, "10.0.0.2:5433", null, ""),
                        new ClusterStatus.Member(
                                "c",
                                null,
                                "replica",
                                "streaming",
                                3,
                                0L,
                                null,
                                "10.0.0.3:5433",
                                null,
                                "nofailover,nosync")),
                List.of());
        assertThat(StatusFormat.table(tagged))
                .contains("ID  REGION  ROLE     STATE      TIMELINE  LAG  CHECKS  ADDRESS        UPTIME  TAGS\n")
                .contains("b   -       leader   running    3         -    -       10.0.0.2:5433  -       -\n")
                .contains(
                        "c   -       replica  streaming  3         0 B  -       10.0.0.3:5433  -       nofailover,nosync\n");
    }

    @Test
    void aStoreColumnOnceTheEmbeddedEnsembleHasGrown() {
        ClusterStatus grown = new ClusterStatus(
                "pg-prod",
                12,
                Phase.NORMAL,
                "member b leads",
                "b",
                null,
                List.of(
                        new ClusterStatus.Member(
                                "b", null, "leader", "running", 3, null, null, "10.0.0.2:5433", null, "", "voter 1"),
                        new ClusterStatus.Member(
                                "c",
                                null,
                                "replica",
                                "streaming",
                                3,
                                0L,
                                null,
                                "10.0.0.3:5433",
                                null,
                                "",
                                "observer 4"),
                        new ClusterStatus.Member(
                                "d", null, "replica", "down", 0, null, null, "10.0.0.4:5433", null, "", "-")),
                List.of());
        assertThat(StatusFormat.table(grown))
                .contains("ID  REGION  ROLE     STATE      TIMELINE  LAG  CHECKS  ADDRESS        UPTIME  STORE\n")
                .contains("b   -       leader   running    3         -    -       10.0.0.2:5433  -       voter 1\n")
                .contains("c   -       replica  streaming  3         0 B  -       10.0.0.3:5433  -       observer 4\n")
                .contains("d   -       replica  down       -         -    -       10.0.0.4:5433  -       -\n");
        assertThat(StatusFormat.json(grown)).contains("\"store\" : \"observer 4\"");
        // a single node (one voter) keeps the usual table
        assertThat(StatusFormat.table(STATUS)).doesNotContain("STORE");
    }

    @Test
    void atATerminalTheLeaderIsGreenAMemberDownRedAndWarningsYellowAndAlignmentStays() {
        String coloured = StatusCommand.colour(StatusFormat.table(STATUS), STATUS);
        assertThat(coloured)
                .contains("\033[32mb   ams     leader   running ")
                .contains("\033[31ma   lhr     replica  down ")
                .contains("\033[33m  ! member a is down")
                .doesNotContain("\033[32mc ")
                .doesNotContain("\033[32mCluster");
        assertThat(coloured.replaceAll("\033\\[\\d+m", "")).isEqualTo(StatusFormat.table(STATUS));
    }

    @Test
    void colourOnlyAtATerminalWithoutNoColorOrADumbTerminal() {
        assertThat(Colors.enabled(java.util.Map.of("TERM", "xterm"), true)).isTrue();
        assertThat(Colors.enabled(java.util.Map.of(), false)).isFalse();
        assertThat(Colors.enabled(java.util.Map.of("NO_COLOR", ""), true)).isFalse();
        assertThat(Colors.enabled(java.util.Map.of("TERM", "dumb"), true)).isFalse();
    }
}
