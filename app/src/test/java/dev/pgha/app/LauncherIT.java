package dev.pgha.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The host launcher ({@code ./pgha}) with JVMs of other versions: a stand-in {@code java} first on PATH, in an
 * installation whose release file names the version, records the arguments the launcher gives it.
 */
class LauncherIT {
    private static final Path LAUNCHER = Path.of("..", "pgha").toAbsolutePath().normalize();

    private Path dir;

    @BeforeEach
    void createDir() throws IOException {
        dir = TestDirs.create("pgha-launcher");
    }

    @AfterEach
    void deleteDir() throws IOException {
        TestDirs.delete(dir);
    }

    @Test
    void aJvmWithNativeHeapTrimmingGetsTheWholeDaemonProfile() throws Exception {
        Run run = start("17.0.15");
        assertThat(run.code()).as(run.stderr()).isZero();
        assertThat(run.args())
                .contains(
                        "@" + LAUNCHER.resolveSibling("ops/jvm-daemon.args"),
                        "-XX:CompilerDirectivesFile=" + LAUNCHER.resolveSibling("ops/jit-directives.json"));
        assertThat(run.stderr()).doesNotContain("TrimNativeHeapInterval");
    }

    /**
     * The daemon's profile as a real JVM takes it: a malformed directives file, or one the profile does not unlock,
     * would keep the daemon from starting. The JVM's word that it read the file goes to stderr, so that stdout holds
     * nothing but the daemon's log lines.
     */
    @Test
    void theRealJvmAcceptsTheDaemonProfileAndItsCompilerDirectives() throws Exception {
        String java = ProcessHandle.current().info().command().orElse("java");
        Path out = dir.resolve("jvm-out");
        Path err = dir.resolve("jvm-err");
        Process p = new ProcessBuilder(
                        java,
                        "@" + LAUNCHER.resolveSibling("ops/jvm-daemon.args"),
                        "-XX:CompilerDirectivesFile=" + LAUNCHER.resolveSibling("ops/jit-directives.json"),
                        "-version")
                .redirectOutput(out.toFile())
                .redirectError(err.toFile())
                .start();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("java -version finished").isTrue();
        String stderr = Files.readString(err, StandardCharsets.UTF_8);
        assertThat(p.exitValue()).as(stderr).isZero();
        assertThat(stderr).contains("2 compiler directives added");
        assertThat(Files.readString(out, StandardCharsets.UTF_8)).isEmpty();
    }

    @Test
    void anOlderJava17StartsTheDaemonWithoutNativeHeapTrimmingAndSaysSo() throws Exception {
        Run run = start("17.0.8");
        assertThat(run.code()).as(run.stderr()).isZero();
        assertThat(run.args())
                .contains("-XX:+UseSerialGC", "-Xmn8m", "-XX:+ExitOnOutOfMemoryError", "start")
                .noneMatch(a -> a.contains("TrimNativeHeapInterval") || a.startsWith("@") || a.startsWith("#"));
        assertThat(run.stderr())
                .contains("Java 17.0.8 cannot return the daemon's unused native memory")
                .contains("Java 17.0.9+ or 21.0.1+")
                .contains("upgrade the JDK");
    }

    @Test
    void java11IsRefusedNamingTheFix() throws Exception {
        Run run = start("11.0.20");
        assertThat(run.code()).isEqualTo(1);
        assertThat(run.stderr())
                .contains("pgha: needs Java 17 or later")
                .contains("Java 11.0.20")
                .contains("openjdk-17");
        assertThat(run.args()).as("the JVM was not started").isEmpty();
    }

    private record Run(int code, String stderr, List<String> args) {}

    /** {@code pgha start} with a stand-in java of {@code version}. */
    private Run start(String version) throws Exception {
        Path jdk = dir.resolve("jdk-" + version);
        Files.createDirectories(jdk.resolve("bin"));
        Files.writeString(jdk.resolve("release"), "IMPLEMENTOR=\"test\"\nJAVA_VERSION=\"" + version + "\"\n");
        Path java = jdk.resolve("bin/java");
        Files.writeString(java, "#!/bin/sh\nprintf '%s\\n' \"$@\" > \"$PGHA_TEST_ARGS\"\n");
        Files.setPosixFilePermissions(java, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path args = dir.resolve("args-" + version);
        Path stderr = dir.resolve("stderr-" + version);
        ProcessBuilder pb = new ProcessBuilder("bash", LAUNCHER.toString(), "start")
                .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .redirectError(stderr.toFile());
        pb.environment().put("PATH", jdk.resolve("bin") + ":" + System.getenv("PATH"));
        pb.environment().put("PGHA_CDS", "0");
        pb.environment().put("PGHA_TEST_ARGS", args.toString());
        Process p = pb.start();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("launcher finished").isTrue();
        return new Run(
                p.exitValue(),
                Files.readString(stderr, StandardCharsets.UTF_8),
                Files.exists(args) ? Files.readAllLines(args) : List.of());
    }
}
