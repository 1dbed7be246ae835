package dev.pgha.keeper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Real processes signalled through the shell, as the keeper signals postgres. */
class SignalShellTest {
    private final PostgresOsUser user = PostgresOsUser.detect("postgres");
    private final List<Process> started = new ArrayList<>();

    @AfterEach
    void stopWhatWasStarted() throws InterruptedException {
        for (Process p : started) {
            p.destroyForcibly();
            p.waitFor(10, TimeUnit.SECONDS);
        }
    }

    private Process sleeper(List<String> command) throws Exception {
        Process p = new ProcessBuilder(command).start();
        started.add(p);
        return p;
    }

    @Test
    void aProcessOfPostgressUserGetsTheSignalAtOnce() throws Exception {
        SignalShell shell = SignalShell.of(user);
        for (int i = 0; i < 3; i++) { // the shell stays and serves each signal
            Process sleeping = sleeper(user.wrap(List.of("sleep", "60")));
            // setpriv becomes the user, then execs sleep in the same process
            await().atMost(Duration.ofSeconds(10))
                    .until(() -> sleeping.info().command().orElse("").endsWith("sleep"));
            assertThat(shell.send("TERM", sleeping.pid())).isEqualTo(SignalShell.Outcome.SENT);
            assertThat(sleeping.waitFor(10, TimeUnit.SECONDS)).isTrue();
        }
    }

    @Test
    void aProcessThatIsGoneOrNotTheUsersIsRefused() throws Exception {
        SignalShell shell = SignalShell.of(user);
        Process gone = sleeper(List.of("true"));
        gone.waitFor(10, TimeUnit.SECONDS);
        assertThat(shell.send("INT", gone.pid())).isEqualTo(SignalShell.Outcome.REFUSED);
        if (!user.wrap(List.of("sleep")).equals(List.of("sleep"))) {
            // pgha runs as root and postgres as its own user: a root process is out of the shell's reach
            Process root = sleeper(List.of("sleep", "60"));
            assertThat(shell.send("TERM", root.pid())).isEqualTo(SignalShell.Outcome.REFUSED);
            assertThat(root.waitFor(300, TimeUnit.MILLISECONDS)).isFalse();
        }
    }

    @Test
    void anInterruptedThreadStillSignalsAndKeepsItsInterrupt() throws Exception {
        Process sleeping = sleeper(user.wrap(List.of("sleep", "60")));
        await().atMost(Duration.ofSeconds(10))
                .until(() -> sleeping.info().command().orElse("").endsWith("sleep"));
        Thread.currentThread().interrupt(); // as the daemon's shutdown interrupts a keeper action that stops postgres
        try {
            assertThat(SignalShell.of(user).send("TERM", sleeping.pid())).isEqualTo(SignalShell.Outcome.SENT);
            assertThat(Thread.currentThread().isInterrupted()).isTrue();
        } finally {
            Thread.interrupted();
        }
        assertThat(sleeping.waitFor(10, TimeUnit.SECONDS)).isTrue();
    }
}
