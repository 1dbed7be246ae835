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
}
