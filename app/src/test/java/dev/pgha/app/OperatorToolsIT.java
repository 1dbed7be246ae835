package dev.pgha.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The operator's tools on a real cluster (two database members and a witness, separate JVMs). cluster.callbacks (a
 * shell script that appends "member event role" to a file): a switchover tells the new leader on_role_change primary
 * and the old one on_stop, on_start and on_role_change replica; a callback that hangs does not hold up a failover (the
 * new leader serves while its on_role_change still runs) and is killed, with what it started, when its node stops.
 * The operations API: refused without the token (nothing changes), a Patroni-style switchover with it, PATCH
 * /config reaching every member's postgres without a restart.
 */
class OperatorToolsIT {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static final Duration FAILOVER = Duration.ofSeconds(60);

    private PghaCluster cluster;

    @AfterEach
    void stop() throws Exception {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void callbacksRunOnRoleChangesWithoutHoldingThemUpAndTheApiSwitchesOverAndSetsParameters() throws Exception {
        cluster = new PghaCluster("pgha-operator", 3, 1);
        Path dir = Files.createDirectories(cluster.baseDir.resolve("callbacks"));
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxrwxrwx")); // the scripts run as postgres
        Path events = dir.resolve("events");
        Path hang = dir.resolve("hang");
        Path script = dir.resolve("record.sh");
        Files.writeString(script, """
                #!/bin/sh
                echo "$4 $1 $2" >> %s
                if [ -e %s ]; then
                  sleep 100000 &
                  echo $$ $! > %s/hung-$4
                  wait
                fi
                """.formatted(events, hang, dir));
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
        List<PghaNode> members = cluster.nodes.subList(0, 2); // node-3 is the witness
        for (PghaNode n : members) {
            n.env.put("PGHA_CALLBACK_ON_START", script.toString());
            n.env.put("PGHA_CALLBACK_ON_STOP", script.toString());
            n.env.put("PGHA_CALLBACK_ON_ROLE_CHANGE", script.toString());
            n.env.put("PGHA_CALLBACK_TIMEOUT", "10m");
        }
        cluster.start();
        PghaNode leader = cluster.awaitLeader(null, 1, PghaCluster.READY);
        PghaNode standby = members.get(0) == leader ? members.get(1) : members.get(0);
        String was = leader.memberId();
        String next = standby.memberId();
        awaitEvents(was + " on_start primary", next + " on_start replica");

        PghaCli.Result switched = PghaCli.run(standby, "switchover", "--to", next);
        assertThat(switched.code()).as(switched.toString()).isZero();
        awaitEvents(next + " on_role_change primary", was + " on_role_change replica");
        assertThat(linesOf(events, was))
                .containsSubsequence(
                        "on_start primary", "on_stop primary", "on_start replica", "on_role_change replica");
        assertThat(linesOf(events, next)).containsSubsequence("on_start replica", "on_role_change primary");
        assertThat(standby.out()).contains("[callback] on_role_change primary: running " + script);

        cluster.awaitLeader(was, 1, FAILOVER);

        // the operations API: nothing without the token, a Patroni-style switchover back with it
        PghaCli.Result tokenCli = PghaCli.run(leader, "api-token");
        assertThat(tokenCli.code()).as(tokenCli.toString()).isZero();
        String token = tokenCli.out().strip();
        String body = "{\"leader\": \"" + next + "\", \"candidate\": \"" + was + "\"}";
        HttpProbe.Reply anonymous = HttpProbe.call(leader.httpPort(), "POST", "/switchover", body, null);
        assertThat(anonymous.status()).isEqualTo(401);
        assertThat(JSON.readTree(anonymous.body()).get("error").asText()).contains("pgha api-token");
        assertThat(HttpProbe.call(leader.httpPort(), "POST", "/switchover", body, "Bearer not-the-token")
                        .status())
                .isEqualTo(401);
        assertThat(cluster.view().leader()).isEqualTo(next);
        HttpProbe.Reply wrongLeader = HttpProbe.call(
                leader.httpPort(), "POST", "/switchover", "{\"leader\": \"" + was + "\"}", "Bearer " + token);
        assertThat(wrongLeader.status()).isEqualTo(412);
        assertThat(JSON.readTree(wrongLeader.body()).get("error").asText())
                .isEqualTo("switchover refused: leader name does not match: the cluster's leader is " + next);
        String basic =
                "Basic " + Base64.getEncoder().encodeToString(("pgha:" + token).getBytes(StandardCharsets.UTF_8));
        HttpProbe.Reply viaApi = HttpProbe.call(leader.httpPort(), "POST", "/switchover", body, basic);
        assertThat(viaApi.status()).as(viaApi.body()).isEqualTo(200);
        JsonNode outcome = JSON.readTree(viaApi.body());
        assertThat(outcome.get("to").asText()).isEqualTo(was);
        assertThat(outcome.get("message").asText()).startsWith("switchover done: " + was + " leads (generation ");
        assertThat(PghaCli.run(leader, "history").out())
                .containsPattern("(?m) " + next + " +" + was + " +\\S+ +member " + was + " leads \\(switchover from "
                        + next + "\\)$");
        assertThat(cluster.awaitLeader(next, 1, FAILOVER)).isSameAs(leader);

        // PATCH /config: every member's postgres takes the parameter, no restart
        HttpProbe.Reply patched = HttpProbe.call(
                standby.httpPort(),
                "PATCH",
                "/config",
                "{\"postgresql\": {\"parameters\": {\"work_mem\": \"7MB\"}}}",
                "Bearer " + token);
        assertThat(patched.status()).as(patched.body()).isEqualTo(200);
        JsonNode config = JSON.readTree(patched.body());
        assertThat(config.at("/postgresql/parameters/work_mem").asText()).isEqualTo("7MB");
        assertThat(config.get("needs_restart").asBoolean()).isFalse();
        for (PghaNode n : members) {
            await().atMost(FAILOVER)
                    .untilAsserted(
                            () -> assertThat(NodeSql.query(n, "SHOW work_mem")).isEqualTo("7MB"));
        }
        assertThat(JSON.readTree(HttpProbe.call(standby.httpPort(), "GET", "/config", null, null)
                                .body())
                        .at("/postgresql/parameters/work_mem")
                        .asText())
                .isEqualTo("7MB");
        HttpProbe.Reply managed = HttpProbe.call(
                standby.httpPort(),
                "PATCH",
                "/config",
                "{\"postgresql\": {\"parameters\": {\"port\": 1}}}",
                "Bearer " + token);
        assertThat(managed.status()).isEqualTo(412);

        // from now on every callback hangs after saying what it was told; the node that leads dies
        Files.createFile(hang);
        leader.killNode();
        PghaNode survivor = cluster.awaitLeader(was, 0, FAILOVER);
        assertThat(survivor.memberId()).isEqualTo(next);
        awaitEvents(next + " on_role_change primary");
        await().atMost(FAILOVER).until(() -> Files.exists(dir.resolve("hung-" + next)));
        long[] pids = Arrays.stream(
                        Files.readString(dir.resolve("hung-" + next)).strip().split(" "))
                .mapToLong(Long::parseLong)
                .toArray();
        // the new leader serves writes through its proxy while its on_role_change callback still runs
        await().atMost(FAILOVER)
                .ignoreExceptions()
                .until(() -> PghaCluster.servedBy(survivor).equals(survivor.pgPort() + " primary"));
        assertThat(ProcessHandle.of(pids[0])).as("the hanging callback").isPresent();

        // a node that stops kills what its callbacks still run (killed processes are reaped a moment later)
        survivor.close();
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            assertThat(ProcessHandle.of(pids[0]).filter(ProcessHandle::isAlive))
                    .as("the hanging callback")
                    .isEmpty();
            assertThat(ProcessHandle.of(pids[1]).filter(ProcessHandle::isAlive))
                    .as("the process the callback started")
                    .isEmpty();
        });
        assertThat(survivor.out())
                .contains("[callback] on_role_change primary: ")
                .contains("killed with what it started");
    }

    private static List<String> linesOf(Path events, String member) throws Exception {
        return Files.readAllLines(events).stream()
                .filter(l -> l.startsWith(member + " "))
                .map(l -> l.substring(member.length() + 1))
                .toList();
    }

    private void awaitEvents(String... lines) {
        Path events = cluster.baseDir.resolve("callbacks/events");
        await().atMost(FAILOVER)
                .untilAsserted(() -> assertThat(Files.exists(events) ? Files.readAllLines(events) : List.of())
                        .as(() -> cluster.logTails(40))
                        .contains(lines));
    }
}
