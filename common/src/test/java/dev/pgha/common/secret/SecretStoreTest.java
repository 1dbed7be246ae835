package dev.pgha.common.secret;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pgha.common.config.PghaConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SecretStoreTest {
    @TempDir
    Path dir;

    private static final PghaConfig.Secrets NONE =
            new PghaConfig.Secrets(Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty());

    @Test
    void generatesOnceStoresPrivatelyAndReusesAfterwards() throws IOException {
        SecretStore store = new SecretStore(dir);
        Credentials first = store.resolve(NONE);
        assertThat(first.generated()).containsExactlyInAnyOrder("suPassword", "replPassword", "operatorPassword");
        assertThat(first.operatorPassword().reveal()).matches("[0-9a-f]{48}"); // 192 bits
        assertThat(first.suPassword()).isNotEqualTo(first.replPassword());
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(store.file())))
                .isEqualTo("rw-------");

        Credentials second = new SecretStore(dir).resolve(NONE);
        assertThat(second.suPassword()).isEqualTo(first.suPassword());
        assertThat(second.replPassword()).isEqualTo(first.replPassword());
        assertThat(second.operatorPassword()).isEqualTo(first.operatorPassword());
    }

    @Test
    void configuredPasswordsWinAndAreNeverStored() throws IOException {
        var configured = new PghaConfig.Secrets(
                Optional.of(Secret.of("from-env")), Optional.empty(), Optional.empty(), Optional.empty());
        Credentials c = new SecretStore(dir).resolve(configured);
        assertThat(c.suPassword().reveal()).isEqualTo("from-env");
        assertThat(c.generated()).containsExactlyInAnyOrder("replPassword", "operatorPassword");
        assertThat(Files.readString(dir.resolve(SecretStore.FILE_NAME))).doesNotContain("from-env");
    }

    @Test
    void shownMarkerSurvivesRestart() throws IOException {
        SecretStore store = new SecretStore(dir);
        assertThat(store.shown()).isFalse();
        store.markShown();
        assertThat(new SecretStore(dir).shown()).isTrue();
    }

    @Test
    void damagedFileIsReportedWithoutItsContent() throws IOException {
        Files.writeString(dir.resolve(SecretStore.FILE_NAME), "{\"suPassword\": \"topsecret");
        assertThatThrownBy(() -> new SecretStore(dir).resolve(NONE))
                .hasMessageContaining(dir.resolve(SecretStore.FILE_NAME).toString())
                .hasMessageNotContaining("topsecret");
    }

    @Test
    void secretNeverPrintsItself() {
        Secret s = Secret.of("hunter2");
        assertThat(s.toString()).isEqualTo("******");
        assertThat(new Credentials(s, s, s, Set.of()).toString()).doesNotContain("hunter2");
    }

    @Test
    void aSingleNodeGeneratesItsStoreSecretOnceAndKeepsIt() {
        SecretStore store = new SecretStore(dir);
        Credentials passwords = store.resolve(NONE);
        Secret first = store.storeSecret(NONE, "pgha", null);
        assertThat(first.reveal()).matches("[0-9a-f]{48}");
        assertThat(new SecretStore(dir).storeSecret(NONE, "pgha", null)).isEqualTo(first);
        assertThat(new SecretStore(dir).existingStoreSecret(NONE)).contains(first);
        assertThat(new SecretStore(dir).resolve(NONE).generated())
                .as("the store secret is not among the passwords shown once")
                .containsExactlyInAnyOrderElementsOf(passwords.generated());
    }

    @Test
    void membersDeriveTheSameStoreSecretFromTheSharedPasswordsAndKeepItThroughARotation(@TempDir Path other) {
        Credentials shared = new Credentials(Secret.of("su"), Secret.of("repl"), Secret.of("op"), Set.of());
        Secret a = new SecretStore(dir).storeSecret(NONE, "orders", shared);
        Secret b = new SecretStore(other).storeSecret(NONE, "orders", shared);
        assertThat(a).isEqualTo(b);
        assertThat(a.reveal()).matches("[0-9a-f]{64}").doesNotContain("repl");

        Credentials rotated = new Credentials(Secret.of("su2"), Secret.of("repl"), Secret.of("op"), Set.of());
        assertThat(new SecretStore(dir).storeSecret(NONE, "orders", rotated)).isEqualTo(a);
    }

    @Test
    void theStoreSecretDependsOnTheClusterAndAConfiguredOneWinsWithoutBeingStored(@TempDir Path other) {
        Credentials shared = new Credentials(Secret.of("su"), Secret.of("repl"), Secret.of("op"), Set.of());
        assertThat(new SecretStore(dir).storeSecret(NONE, "orders", shared))
                .isNotEqualTo(new SecretStore(other).storeSecret(NONE, "billing", shared));

        PghaConfig.Secrets configured = new PghaConfig.Secrets(
                Optional.empty(), Optional.empty(), Optional.empty(), Optional.of(Secret.of("from-env")));
        Path third = other.resolve("third");
        assertThat(new SecretStore(third).storeSecret(configured, "orders", shared))
                .isEqualTo(Secret.of("from-env"));
        assertThat(new SecretStore(third).file()).doesNotExist();
    }
}
