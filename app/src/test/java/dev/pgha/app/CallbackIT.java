package dev.pgha.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * cluster.callbacks in a real cluster (two database members and a witness, separate JVMs, a shell script that
 * appends "member event role" to a file): a switchover tells the new leader on_role_change primary and the old one
 * on_stop, on_start and on_role_change replica; a callback that hangs does not hold up the failover after it (the
 * new leader serves while its on_role_change still runs) and is killed, with what it started, when its node stops.
 */
class CallbackIT {
    private static final Duration FAILOVER = Duration.ofSeconds(60);

    private PghaCluster cluster;

    @AfterEach
    void stop() throws Exception {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void aSwitchoverAndAFailoverRunTheCallbacksAndNeitherWaitsForThem() throws Exception {
        cluster = new PghaCluster("pgha-callbacks", 3, 1);
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

        // from now on every callback hangs after saying what it was told; the node that leads dies
        cluster.awaitLeader(was, 1, FAILOVER);
        Files.createFile(hang);
        standby.killNode();
        PghaNode survivor = cluster.awaitLeader(next, 0, FAILOVER);
        assertThat(survivor.memberId()).isEqualTo(was);
        awaitEvents(was + " on_role_change primary");
        await().atMost(FAILOVER).until(() -> Files.exists(dir.resolve("hung-" + was)));
        long[] pids = Arrays.stream(
                        Files.readString(dir.resolve("hung-" + was)).strip().split(" "))
                .mapToLong(Long::parseLong)
                .toArray();
        // the new leader serves writes through its proxy while its on_role_change callback still runs
        await().atMost(FAILOVER)
                .ignoreExceptions()
                .until(() -> PghaCluster.servedBy(survivor).equals(survivor.pgPort() + " primary"));
        assertThat(ProcessHandle.of(pids[0])).as("the hanging callback").isPresent();

        // a node that stops kills what its callbacks still run
        survivor.close();
        assertThat(ProcessHandle.of(pids[0])).isEmpty();
        assertThat(ProcessHandle.of(pids[1]))
                .as("the process the callback started")
                .isEmpty();
        assertThat(survivor.out()).contains("[callback] on_role_change primary: ");
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
