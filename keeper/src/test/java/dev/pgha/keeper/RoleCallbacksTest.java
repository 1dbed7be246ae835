package dev.pgha.keeper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.pgha.common.config.ConfigLoader;
import dev.pgha.common.config.PghaConfig;
import dev.pgha.common.model.Role;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * cluster.callbacks with real executables (shell scripts run as postgres's OS user when the test runs as root): the
 * events in order with their arguments and nothing of the daemon's environment, a hanging one killed with the process
 * it started while the next one still runs, and an on_stop at shutdown for a postgres last seen running.
 */
class RoleCallbacksTest {

    private Path dir;
    private RoleCallbacks callbacks;

    @BeforeEach
    void dir() throws IOException {
        // readable by postgres's OS user, which the scripts run as when the test runs as root
        dir = Files.createTempDirectory(
                "pgha-callbacks-", PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxrwxrwx")));
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxrwxrwx"));
    }

    @AfterEach
    void cleanUp() throws IOException {
        if (callbacks != null) {
            callbacks.close();
        }
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    @Test
    void eachEventRunsItsExecutableInOrderWithTheArgumentsAndACleanEnvironment() throws Exception {
        Path script = script(
                "record",
                "echo \"$@\" >> " + dir.resolve("events") + "\nenv | sort > " + dir.resolve("env-$1")
                        + "\necho said $1\n");
        callbacks = start(Map.of(
                "PGHA_CALLBACK_ON_START", script.toString(),
                "PGHA_CALLBACK_ON_STOP", script.toString(),
                "PGHA_CALLBACK_ON_ROLE_CHANGE", script.toString()));
        callbacks.observe(true, Role.STANDBY);
        awaitLines(1);
        callbacks.observe(true, Role.PRIMARY); // promoted
        awaitLines(2);
        callbacks.observe(false, Role.NONE); // fenced
        awaitLines(3);
        callbacks.observe(true, Role.STANDBY); // back as a replica
        awaitLines(5);
        assertThat(Files.readAllLines(dir.resolve("events")))
                .containsExactly(
                        "on_start replica shop node-1",
                        "on_role_change primary shop node-1",
                        "on_stop primary shop node-1",
                        "on_start replica shop node-1",
                        "on_role_change replica shop node-1");
        List<String> names = Files.readAllLines(dir.resolve("env-on_stop")).stream()
                .map(l -> l.substring(0, l.indexOf('=')))
                .toList();
        // what sh adds itself (PWD, SHLVL, _) besides what pgha gives: nothing of the daemon's environment
        assertThat(Set.of(
                        "PATH",
                        "LANG",
                        "PGHA_EVENT",
                        "PGHA_ROLE",
                        "PGHA_CLUSTER",
                        "PGHA_MEMBER",
                        "PWD",
                        "SHLVL",
                        "_",
                        "OLDPWD"))
                .containsAll(names);
        assertThat(Files.readString(dir.resolve("env-on_stop"))).contains("PGHA_ROLE=primary");
    }

    @Test
    void aCallbackThatHangsIsKilledWithWhatItStartedAndTheNextStillRuns() throws Exception {
        Path hang = script(
                "hang",
                "echo $$ > " + dir.resolve("pid") + "\nsleep 1000 &\necho $! > " + dir.resolve("child") + "\nwait\n");
        Path record = script("record", "echo \"$@\" >> " + dir.resolve("events") + "\n");
        callbacks = start(Map.of(
                "PGHA_CALLBACK_ON_START", hang.toString(),
                "PGHA_CALLBACK_ON_ROLE_CHANGE", record.toString(),
                "PGHA_CALLBACK_TIMEOUT", "1s"));
        callbacks.observe(true, Role.STANDBY);
        await().atMost(Duration.ofSeconds(10)).until(() -> Files.exists(dir.resolve("child")));
        callbacks.observe(true, Role.PRIMARY); // its callback waits behind the hanging one
        long pid = Long.parseLong(Files.readString(dir.resolve("pid")).strip());
        long child = Long.parseLong(Files.readString(dir.resolve("child")).strip());
        awaitLines(1);
        assertThat(Files.readAllLines(dir.resolve("events"))).containsExactly("on_role_change primary shop node-1");
        await().atMost(Duration.ofSeconds(10))
                .until(() -> ProcessHandle.of(pid).isEmpty()
                        && ProcessHandle.of(child).isEmpty());
    }

    @Test
    void closingAfterPostgresRanRunsOnStop() throws Exception {
        Path record = script("record", "echo \"$@\" >> " + dir.resolve("events") + "\n");
        callbacks =
                start(Map.of("PGHA_CALLBACK_ON_START", record.toString(), "PGHA_CALLBACK_ON_STOP", record.toString()));
        callbacks.observe(true, Role.PRIMARY);
        awaitLines(1);
        callbacks.close(); // the keeper, closed first, has stopped postgres; its last look still saw it run
        callbacks = null;
        assertThat(Files.readAllLines(dir.resolve("events")))
                .containsExactly("on_start primary shop node-1", "on_stop primary shop node-1");
    }

    @Test
    void aMissingExecutableIsRefusedNamingTheSetting() {
        Map<String, String> env =
                env(Map.of("PGHA_CALLBACK_ON_ROLE_CHANGE", dir.resolve("nope").toString()));
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> ConfigLoader.load(Optional.empty(), env))
                .hasMessageContaining("PGHA_CALLBACK_ON_ROLE_CHANGE")
                .hasMessageContaining("is not an executable file");
    }

    private RoleCallbacks start(Map<String, String> settings) {
        PghaConfig config = ConfigLoader.load(Optional.empty(), env(settings));
        return new RoleCallbacks(config, "node-1");
    }

    private static Map<String, String> env(Map<String, String> settings) {
        Map<String, String> env = new HashMap<>(settings);
        env.put("PGHA_DATA_DIR", "/data");
        env.put("FLY_APP_NAME", "shop");
        return env;
    }

    private Path script(String name, String body) throws IOException {
        Path p = dir.resolve(name);
        Files.writeString(p, "#!/bin/sh\n" + body);
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
        return p;
    }

    private void awaitLines(int n) {
        await().atMost(Duration.ofSeconds(10))
                .until(() -> Files.exists(dir.resolve("events"))
                        && Files.readAllLines(dir.resolve("events")).size() >= n);
    }
}
