package dev.pgha.keeper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Locating postgres installations, with small stand-in installations made of shell scripts. */
class PgBinariesTest {
    @TempDir
    Path dir;

    private Path install(String version, String versionOutput) throws IOException {
        Path bin = Files.createDirectories(dir.resolve("pg").resolve(version).resolve("bin"));
        script(bin.resolve("postgres"), "echo '" + versionOutput + "'");
        script(bin.resolve("initdb"), "exit 0");
        script(bin.resolve("pg_controldata"), "exit 0");
        return bin;
    }

    private static void script(Path p, String body) throws IOException {
        Files.writeString(p, "#!/bin/sh\n" + body + "\n");
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    @Test
    void newestVersionUnderTheInstallRootWins() throws IOException {
        install("13", "postgres (PostgreSQL) 13.9");
        Path v16 = install("16", "postgres (PostgreSQL) 16.2 (Debian 16.2-1)");
        install("9.6", "postgres (PostgreSQL) 9.6.1");
        PgBinaries b = PgBinaries.locate(
                Optional.empty(), dir.resolve("pg"), dir.resolve("nothing").toString());
        assertThat(b).isEqualTo(new PgBinaries(v16, 16));
    }

    @Test
    void pgConfigOnPathComesFirst() throws IOException {
        install("16", "postgres (PostgreSQL) 16.2");
        Path v14 = install("14", "postgres (PostgreSQL) 14.11");
        Path path = Files.createDirectories(dir.resolve("path"));
        script(path.resolve("pg_config"), "echo " + v14);
        assertThat(PgBinaries.locate(Optional.empty(), dir.resolve("pg"), path.toString())
                        .binDir())
                .isEqualTo(v14);
    }

    @Test
    void configuredDirectoryMustBeComplete() throws IOException {
        Path bin = install("15", "postgres (PostgreSQL) 15.4");
        Files.delete(bin.resolve("initdb"));
        assertThatThrownBy(() -> PgBinaries.locate(Optional.of(bin), dir, null))
                .hasMessage("PGHA_PG_BIN_DIR " + bin + " does not hold executable postgres, initdb, pg_controldata: "
                        + "point it at a PostgreSQL bin directory such as /usr/lib/postgresql/15/bin");
    }

    @Test
    void tooOldVersionIsRefused() throws IOException {
        Path bin = install("12", "postgres (PostgreSQL) 12.17");
        assertThatThrownBy(() -> PgBinaries.locate(Optional.of(bin), dir, null))
                .hasMessageStartingWith("PostgreSQL 12 in " + bin + " is too old: pgha needs 13 or newer");
    }

    @Test
    void nothingFoundSaysHowToInstall() {
        assertThatThrownBy(() -> PgBinaries.locate(Optional.empty(), dir.resolve("none"), dir.toString()))
                .hasMessage(
                        "PostgreSQL server binaries not found: no pg_config on PATH and no " + dir.resolve("none")
                                + "/<version>/bin/postgres; install them (apt-get install -y postgresql-15) or set PGHA_PG_BIN_DIR");
    }
}
