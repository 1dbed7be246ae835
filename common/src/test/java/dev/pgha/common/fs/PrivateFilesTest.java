package dev.pgha.common.fs;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PrivateFilesTest {
    @TempDir
    Path dir;

    @Test
    void aLinkPlantedAtTheFileOrItsTemporaryNameIsReplacedNotFollowed() throws Exception {
        Path outside = Files.createDirectory(dir.resolve("outside"));
        Path target = Files.writeString(outside.resolve("target"), "untouched");
        Path owned = Files.createDirectory(dir.resolve("owned"));
        Files.createSymbolicLink(owned.resolve(".conf.tmp"), target);
        Files.createSymbolicLink(owned.resolve("conf"), target);

        PrivateFiles.write(owned.resolve("conf"), "written".getBytes(StandardCharsets.UTF_8));

        assertThat(target).hasContent("untouched");
        assertThat(Files.isSymbolicLink(owned.resolve("conf"))).isFalse();
        assertThat(owned.resolve("conf")).hasContent("written");
        assertThat(Files.getPosixFilePermissions(owned.resolve("conf")))
                .isEqualTo(PosixFilePermissions.fromString("rw-------"));
        assertThat(owned.resolve(".conf.tmp")).doesNotExist();
    }

    @Test
    void deletingContentsNeverFollowsALink() throws Exception {
        Path outside = Files.createDirectory(dir.resolve("outside"));
        Files.writeString(outside.resolve("keep"), "keep");
        Path root = Files.createDirectory(dir.resolve("pgdata"));
        Files.createDirectories(root.resolve("base/1"));
        Files.writeString(root.resolve("base/1/file"), "x");
        Files.createSymbolicLink(root.resolve("base/link-to-outside"), outside);
        Files.createSymbolicLink(root.resolve("file-link"), outside.resolve("keep"));

        PrivateFiles.deleteContents(root);

        assertThat(root).isEmptyDirectory();
        assertThat(outside.resolve("keep")).hasContent("keep");
    }

    @Test
    void aFileWritableByEveryoneOrALinkIsNotTrusted() throws Exception {
        Path file = Files.writeString(dir.resolve("secrets"), "{}");
        assertThat(PrivateFiles.untrusted(file)).isNull();
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-rw-rw-"));
        assertThat(PrivateFiles.untrusted(file))
                .contains("writable by every user")
                .contains("chmod o-w " + file);
        Path link = Files.createSymbolicLink(dir.resolve("link"), file);
        assertThat(PrivateFiles.untrusted(link)).contains("is a symbolic link");
        assertThat(PrivateFiles.untrusted(dir.resolve("absent"))).isNull();
    }
}
