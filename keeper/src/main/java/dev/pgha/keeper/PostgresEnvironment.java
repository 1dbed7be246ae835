package dev.pgha.keeper;

import dev.pgha.common.PghaException;
import dev.pgha.common.config.PghaConfig;
import dev.pgha.common.fs.PrivateFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What preflight found: the postgres binaries and the OS user postgres runs as.
 *
 * @param binaries the PostgreSQL installation
 * @param osUser   the unprivileged user every postgres binary runs as (pgha itself when not root)
 */
public record PostgresEnvironment(PgBinaries binaries, PostgresOsUser osUser) {
    private static final Logger log = LoggerFactory.getLogger(PostgresEnvironment.class);

    /** Exists while initdb or a clone runs: a PGDATA left with it was never complete and is redone. */
    static final String INIT_MARKER = "initdb-incomplete";

    /**
     * Runs before anything else starts: checks that postgres can run here (binaries present, OS user usable, PGDATA
     * reachable) and cleans up what an earlier run left behind, so its ports and files are free.
     */
    public static PostgresEnvironment preflight(PghaConfig config, Map<String, String> processEnv) {
        PgBinaries binaries =
                PgBinaries.locate(config.postgres().binDir(), config.postgres().installRoot(), processEnv.get("PATH"));
        PostgresOsUser user = PostgresOsUser.detect(config.postgres().osUser());
        try {
            user.requireReachable(config.pgData());
        } catch (IOException e) {
            throw new PghaException("cannot check access to " + config.pgData() + ": " + e.getMessage());
        }
        PostgresEnvironment env = new PostgresEnvironment(binaries, user);
        env.recoverLeftovers(config, dataDirectory(config));
        return env;
    }

    static DataDirectory dataDirectory(PghaConfig config) {
        return new DataDirectory(config.pgData(), config.stateDir().resolve(INIT_MARKER));
    }

    /**
     * Cleans up after an earlier run that did not end cleanly: a half-done initdb is removed, and a postgres still
     * running on this PGDATA (its pgha was killed) is stopped, so it can never serve next to the cluster's leader.
     */
    private void recoverLeftovers(PghaConfig config, DataDirectory data) {
        try {
            if (Files.exists(data.initMarker())) {
                log.warn(
                        "an earlier initdb did not finish; emptying its partial data directory {} to run it again",
                        data.path());
                deleteContents(data.path());
                Files.deleteIfExists(data.initMarker());
            }
            Optional<DataDirectory.PostmasterPid> pid = data.postmasterPid();
            if (pid.isPresent()
                    && ProcessHandle.of(pid.get().pid())
                            .map(ProcessHandle::isAlive)
                            .orElse(false)) {
                if (data.isPostmasterOfThisDirectory(pid.get().pid())) {
                    log.warn(
                            "found postgres (pid {}) still running from an earlier pgha run; stopping it before "
                                    + "taking over",
                            pid.get().pid());
                    PostgresServer.stopOrphan(
                            pid.get().pid(), binaries, osUser, config.postgres().stopTimeout());
                    log.info("stopped the orphaned postgres (pid {})", pid.get().pid());
                } else {
                    log.info(
                            "removing stale postmaster.pid: pid {} is now another program",
                            pid.get().pid());
                    data.removePostmasterPid();
                }
            }
        } catch (IOException e) {
            throw new PghaException("cannot clean up " + data.path() + " after an earlier run: " + e.getMessage());
        }
    }

    /** Deletes everything under {@code root} but not root itself, never following a link. */
    static void deleteContents(Path root) throws IOException {
        PrivateFiles.deleteContents(root);
    }
}
