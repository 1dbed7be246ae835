package dev.pgha.keeper;

import dev.pgha.common.PghaException;
import dev.pgha.common.config.PghaConfig;
import dev.pgha.common.secret.Credentials;
import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * initdb begun as the daemon starts, on a node that will surely be told to create the cluster (a fresh single node on
 * its embedded store: the supervisor decides), so that it runs while ZooKeeper starts and the sentinel is elected
 * instead of after them. It runs into a staging directory beside PGDATA; the keeper's INITIALIZE moves it into place
 * (one rename) instead of running initdb itself. Not adopted (the keeper did something else, or the daemon stopped
 * first), it is stopped and deleted; a staging directory left by a crash is deleted at the next start.
 */
public final class InitDbAhead implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(InitDbAhead.class);
    private static final String SUFFIX = ".initdb-ahead";

    private final Path staging;
    private final CompletableFuture<Long> done = new CompletableFuture<>(); // initdb's ms; failed: why
    private final Thread thread;
    private final AtomicBoolean settled = new AtomicBoolean(); // adopted, or closed: never both

    private InitDbAhead(PghaConfig config, PostgresEnvironment env, Credentials credentials) {
        this.staging = stagingFor(config.pgData());
        this.thread = new Thread(() -> run(config, env, credentials), "initdb-ahead");
        thread.setDaemon(true);
    }

    private void run(PghaConfig config, PostgresEnvironment env, Credentials credentials) {
        long t0 = System.nanoTime();
        try {
            ConfigFiles.prepareDirectory(staging, env.osUser());
            ConfigFiles.prepareDirectory(config.runDir(), env.osUser());
            InitDb.into(config, env, staging, credentials);
            done.complete((System.nanoTime() - t0) / 1_000_000);
        } catch (IOException | RuntimeException e) {
            done.completeExceptionally(e);
        }
    }

    /** Deletes a staging directory an earlier start left (it crashed before adopting or deleting it). */
    public static void discardLeftover(PghaConfig config) {
        Path staging = stagingFor(config.pgData());
        if (Files.exists(staging)) {
            log.info("deleting {}: an initdb begun ahead by an earlier start that did not finish", staging);
            deleteTree(staging);
        }
    }

    /** Starts initdb into the staging directory, on a thread of its own. */
    public static InitDbAhead start(PghaConfig config, PostgresEnvironment env, Credentials credentials) {
        discardLeftover(config);
        InitDbAhead ahead = new InitDbAhead(config, env, credentials);
        ahead.thread.start();
        return ahead;
    }

    /**
     * Waits for initdb and moves its cluster to {@code pgdata}, which must not exist or be empty. False when it
     * failed or cannot be moved: the caller runs initdb itself (the reason is logged).
     */
    boolean adoptInto(Path pgdata) {
        long ms;
        try {
            ms = done.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new PghaException("interrupted while waiting for initdb");
        } catch (ExecutionException e) {
            log.warn(
                    "the initdb begun ahead failed, running it again: {}",
                    e.getCause().getMessage());
            close();
            return false;
        }
        if (!settled.compareAndSet(false, true)) {
            return false; // closed meanwhile
        }
        try {
            if (Files.isDirectory(pgdata)) {
                try (var entries = Files.list(pgdata)) {
                    if (entries.findAny().isPresent()) {
                        log.warn("{} is not empty: not moving the initdb begun ahead there", pgdata);
                        deleteTree(staging);
                        return false;
                    }
                }
                Files.delete(pgdata);
            }
            Files.move(staging, pgdata, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            log.warn("cannot move the initdb begun ahead to {}, running it again: {}", pgdata, e.getMessage());
            deleteTree(staging);
            return false;
        }
        log.info(
                "created a new cluster in {} (initdb took {} ms, begun as the daemon started; PostgreSQL data checksums,"
                        + " scram-sha-256)",
                pgdata,
                ms);
        return true;
    }

    /** initdb has ended (either way). */
    boolean finished() {
        return done.isDone();
    }

    /** Stops initdb if it still runs and deletes what it made, unless it was adopted. */
    @Override
    public void close() {
        if (!settled.compareAndSet(false, true)) {
            return; // adopted (or closed already)
        }
        thread.interrupt(); // ProcessRunner kills initdb when interrupted
        try {
            thread.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        deleteTree(staging);
    }

    static Path stagingFor(Path pgdata) {
        return pgdata.resolveSibling(pgdata.getFileName() + SUFFIX);
    }

    private static void deleteTree(Path root) {
        if (!Files.exists(root)) {
            return;
        }
        try {
            Files.walkFileTree(root, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                    Files.delete(file);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult postVisitDirectory(Path dir, IOException e) throws IOException {
                    Files.delete(dir);
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException e) {
            log.warn("cannot delete {}: {}", root, e.getMessage());
        }
    }
}
