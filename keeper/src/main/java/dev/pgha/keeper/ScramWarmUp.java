package dev.pgha.keeper;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicBoolean;
import org.postgresql.util.PasswordUtil;

/**
 * Runs one SCRAM-SHA-256 key derivation (PBKDF2, 4 096 rounds of HMAC-SHA-256, and the password's SASLprep) on a
 * throwaway password while the JVM's first postgres starts, so that the keeper's first login, and the check of the
 * roles' passwords right after it, find that code compiled. A JVM's first derivation runs in the interpreter: about
 * 70 ms here against 6-13 ms once compiled, on the path from "postgres is ready" to "serving" of every start.
 * Postgres's own start-up (about 100 ms, spent in another process) hides it. Once per JVM.
 */
final class ScramWarmUp {
    private static final AtomicBoolean begun = new AtomicBoolean();

    private ScramWarmUp() {}

    static void begin() {
        if (!begun.compareAndSet(false, true)) {
            return;
        }
        Thread thread = new Thread(
                () -> PasswordUtil.encodeScramSha256(
                        "pgha-warm-up".toCharArray(), 4096, "pgha-warm-up-salt".getBytes(StandardCharsets.US_ASCII)),
                "scram-warm-up");
        thread.setDaemon(true);
        thread.start();
    }
}
