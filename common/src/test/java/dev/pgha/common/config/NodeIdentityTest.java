package dev.pgha.common.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class NodeIdentityTest {
    @TempDir
    Path dir;

    @Test
    void generatedIdIsKeptAcrossRestarts() {
        String first = NodeIdentity.resolve(dir, Optional.empty(), "web-7f9c");
        assertThat(first).matches("web-7f9c-[0-9a-f]{6}");
        assertThat(NodeIdentity.resolve(dir, Optional.empty(), "other-host")).isEqualTo(first);
    }

    @Test
    void configuredIdMustMatchTheDataDirectory() {
        assertThat(NodeIdentity.resolve(dir, Optional.of("node-1"), "h")).isEqualTo("node-1");
        assertThat(NodeIdentity.resolve(dir, Optional.of("node-1"), "h")).isEqualTo("node-1");
        assertThatThrownBy(() -> NodeIdentity.resolve(dir, Optional.of("node-2"), "h"))
                .hasMessageStartingWith(
                        "PGHA_NODE_ID is \"node-2\" but the data directory belongs to member \"node-1\"");
    }

    @ParameterizedTest
    @CsvSource({
        "My_Host.example.com, my-host-example-com-",
        "localhost, pgha-",
        "'', pgha-",
        "---, pgha-",
        "a-very-long-hostname-that-goes-on-and-on-and-on, a-very-long-hostname-that-goes-o-"
    })
    void generatedIdsAreValidNames(String hostname, String prefix) {
        String id = NodeIdentity.generate(hostname);
        assertThat(id)
                .startsWith(prefix)
                .matches("[a-z0-9]([a-z0-9-]*[a-z0-9])?")
                .hasSizeLessThanOrEqualTo(40);
    }
}
