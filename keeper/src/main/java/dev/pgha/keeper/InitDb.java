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
        Path pwfile = config.runDir().resolve("initdb.pw");
        try {
            PrivateFiles.write(data.initMarker(), new byte[0]);
            files.prepareDirectory(pgdata);
            files.prepareDirectory(config.runDir());
            PrivateFiles.write(pwfile, (credentials.suPassword().reveal() + "\n").getBytes(StandardCharsets.UTF_8));
            env.osUser().own(pwfile);
        } catch (IOException e) {
            throw new LocalPostgres.Fatal("cannot prepare " + pgdata + " for initdb: " + e.getMessage());
        }
        long t0 = System.nanoTime();
        ProcessRunner.Result r;
        try {
            r = ProcessRunner.run(
                    env.osUser()
                            .wrap(List.of(
                                    env.binaries().tool("initdb").toString(),
                                    "--pgdata=" + pgdata,
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
        log.info(
                "created a new cluster in {} in {} ms (PostgreSQL {}, data checksums, scram-sha-256)",
                pgdata,
                (System.nanoTime() - t0) / 1_000_000,
                env.binaries().majorVersion());
    }
}
