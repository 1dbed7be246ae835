package dev.pgha.keeper;

import dev.pgha.common.config.PghaConfig;
import dev.pgha.common.fs.PrivateFiles;
import dev.pgha.common.secret.Credentials;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A new, empty cluster: initdb as postgres's OS user with data checksums and SCRAM, the superuser's password passed
 * in a private file that is deleted afterwards (never on a command line). The init marker written first tells a
 * later start that an interrupted initdb left the directory half-made.
 */
final class InitDb {
    private static final Logger log = LoggerFactory.getLogger(InitDb.class);
    private static final Duration TIMEOUT = Duration.ofMinutes(10);

    private InitDb() {}

    static void run(
            PghaConfig config,
            PostgresEnvironment env,
            DataDirectory data,
            ConfigFiles files,
            Credentials credentials) {
        Path pgdata = data.path();
        try {
            PrivateFiles.write(data.initMarker(), new byte[0]);
            files.prepareDirectory(pgdata);
            files.prepareDirectory(config.runDir());
        } catch (IOException e) {
            throw new LocalPostgres.Fatal("cannot prepare " + pgdata + " for initdb: " + e.getMessage());
        }
        long t0 = System.nanoTime();
        into(config, env, pgdata, credentials);
        log.info(
                "created a new cluster in {} in {} ms (PostgreSQL {}, data checksums, scram-sha-256)",
                pgdata,
                (System.nanoTime() - t0) / 1_000_000,
                env.binaries().majorVersion());
    }

    /**
     * initdb into {@code target}: an empty directory of postgres's OS user (mode 0700), beside an existing run
     * directory. Throws {@link LocalPostgres.Fatal} when initdb fails; interrupted, it stops initdb.
     */
    static void into(PghaConfig config, PostgresEnvironment env, Path target, Credentials credentials) {
        Path pwfile = config.runDir().resolve("initdb-" + target.getFileName() + ".pw");
        try {
            PrivateFiles.write(pwfile, (credentials.suPassword().reveal() + "\n").getBytes(StandardCharsets.UTF_8));
            env.osUser().own(pwfile);
        } catch (IOException e) {
            throw new LocalPostgres.Fatal("cannot write initdb's password file " + pwfile + ": " + e.getMessage());
        }
        ProcessRunner.Result r;
        try {
            r = ProcessRunner.run(
                    env.osUser()
                            .wrap(List.of(
                                    env.binaries().tool("initdb").toString(),
                                    "--pgdata=" + target,
                                    "--username=" + Credentials.SU_ROLE,
                                    "--pwfile=" + pwfile,
                                    "--auth-host=scram-sha-256",
                                    "--auth-local=scram-sha-256",
                                    "--data-checksums",
                                    "--encoding=UTF8",
                                    "--locale=C.UTF-8")),
                    TIMEOUT);
        } finally {
            try {
                Files.deleteIfExists(pwfile);
            } catch (IOException e) {
                log.error("could not delete the initdb password file {}: {}", pwfile, e.getMessage());
            }
        }
        if (!r.ok()) {
            throw new LocalPostgres.Fatal("initdb failed with code " + r.exitCode() + ": " + r.tail(3));
        }
    }
}
