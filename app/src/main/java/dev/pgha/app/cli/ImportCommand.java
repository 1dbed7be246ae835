package dev.pgha.app.cli;

import dev.pgha.common.PghaException;
import dev.pgha.common.concurrent.LineTail;
import dev.pgha.common.config.PghaConfig;
import dev.pgha.common.health.Formats;
import dev.pgha.common.model.MemberInfo;
import dev.pgha.keeper.PgBinaries;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(
        name = "import",
        mixinStandardHelpOptions = true,
        description = {
            "Copy a database from another postgres into a new database of this cluster, as fly postgres import does: "
                    + "pg_dump streams into pg_restore on the leader (no owners or grants of the source: the "
                    + "objects belong to postgres), with progress.",
            "The new database must not exist. If anything fails it is dropped again: nothing half-imported is left.",
            "With --jobs N (2 or more), pg_dump and pg_restore each work with N connections through a temporary "
                    + "directory dump (room for the dump is needed in $TMPDIR, default /tmp; it is deleted at the end).",
            "The source's password is taken from the URL and given to pg_dump in a private password file, never on "
                    + "a command line."
        })
public final class ImportCommand extends AdminCommand {
    /** The exit code of a tool killed by SIGPIPE. */
    private static final int SIGPIPE = 128 + 13;

    /** How long the rest of a tool's stderr is waited for once it exited (a child it left could hold the pipe). */
    private static final Duration STDERR_DRAIN = Duration.ofSeconds(5);

    /** What the two tools keep of the caller's environment. */
    private static final List<String> KEPT_ENV = List.of("PATH", "LANG", "LC_ALL", "PGSSLROOTCERT", "HOME");

    @Parameters(index = "0", paramLabel = "SOURCE_URL", description = "postgres://USER:PASSWORD@HOST:PORT/DATABASE")
    String url;

    @Option(
            names = {"-d", "--database"},
            paramLabel = "NAME",
            description = "The new database (default: the source's database name).")
    String database;

    @Option(
            names = {"-j", "--jobs"},
            paramLabel = "N",
            description = "Dump and restore with N parallel connections through a temporary directory (default: 1, "
                    + "streamed without a temporary copy).")
    int jobs = 1;

    private SourceUrl source;

    @Override
    void validate() {
        source = SourceUrl.parse(url);
        if (database == null) {
            database = source.database();
        }
        Names.check("database", database);
        if (jobs < 1 || jobs > 64) {
            throw new PghaException("--jobs " + jobs + ": give 1 to 64 parallel connections");
        }
    }

    @Override
    void run(Admin admin, PrintWriter out) {
        long sourceVersion = checkSource();
        PghaConfig config = admin.config();
        PgBinaries tools =
                PgBinaries.locate(config.postgres().binDir(), config.postgres().installRoot(), System.getenv("PATH"));
        if (sourceVersion / 10000 > tools.majorVersion()) {
            throw new PghaException("the source runs PostgreSQL " + sourceVersion / 10000 + ", newer than this "
                    + "cluster's pg_dump (" + tools.majorVersion() + "): import into a cluster of that version");
        }
        MemberInfo leader = admin.leader();
        onLeader(admin, "cannot create database " + database, c -> {
            if (ClusterSql.databaseExists(c, database)) {
                throw new PghaException("database " + database + " already exists: choose another with --database");
            }
            ClusterSql.createDatabase(c, database, "postgres");
            return null;
        });
        boolean done = false;
        Path passfile = null;
        try {
            passfile = Libpq.passfile(List.of(
                    source.passfileLine(),
                    Libpq.passfileLine(
                            leader.host(),
                            leader.pgPort(),
                            "postgres",
                            admin.operatorPassword().reveal())));
            Progress progress = jobs == 1
                    ? copy(tools, passfile, leader, config, out)
                    : copyInParallel(tools, passfile, leader, config, out);
            done = true;
            if (json()) {
                report(out, "", "database", database, "bytes", progress.bytes.get(), "objects", progress.objects.get());
            } else {
                out.println("imported " + source.describe() + " into database " + database + ": "
                        + Formats.bytes(progress.bytes.get()) + ", " + progress.objects.get() + " objects");
            }
        } finally {
            Libpq.delete(passfile);
            if (!done) {
                onLeader(admin, "the import failed and database " + database + " could not be dropped", c -> {
                    ClusterSql.dropDatabase(c, database, true);
                    return null;
                });
            }
        }
    }

    /** Connects once, so an unreachable or refusing source stops the import before anything is created. */
    private long checkSource() {
        Properties p = new Properties();
        p.setProperty("user", source.user());
        p.setProperty("password", source.password());
        p.setProperty("connectTimeout", "10");
        p.setProperty("ApplicationName", "pgha-import");
        source.options().forEach((k, v) -> {
            if (k.equals("sslmode")) {
                p.setProperty("sslmode", v);
            }
        });
        try (Connection c = DriverManager.getConnection(source.jdbcUrl(), p);
                Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SHOW server_version_num")) {
            rs.next();
            return Long.parseLong(rs.getString(1));
        } catch (SQLException e) {
            throw new PghaException(
                    "cannot reach the source " + source.describe() + ": " + e.getMessage() + "; nothing was imported");
        }
    }

    private Progress copy(PgBinaries tools, Path passfile, MemberInfo leader, PghaConfig config, PrintWriter out) {
        Progress progress = new Progress();
        Process dump = null;
        Process restore = null;
        try {
            dump = start(dumpCommand(tools, "--format=custom"), passfile);
            restore = start(restoreCommand(tools, leader, config), passfile);
            LineTail dumpErrors = tail(dump.getErrorStream(), null);
            LineTail restoreErrors = tail(restore.getErrorStream(), progress);
            ProgressLine line = json() ? null : ProgressLine.of(out);
            long last = System.nanoTime();
            byte[] buffer = new byte[1 << 16];
            try (InputStream in = dump.getInputStream();
                    OutputStream to = restore.getOutputStream()) {
                int n;
                while ((n = in.read(buffer)) >= 0) {
                    to.write(buffer, 0, n);
                    progress.bytes.addAndGet(n);
                    if (line != null && System.nanoTime() - last > TimeUnit.SECONDS.toNanos(1)) {
                        last = System.nanoTime();
                        line.show(progress.toString());
                    }
                }
            } catch (IOException e) {
                // pg_restore stopped reading (it failed): its exit code and output say why
            }
            if (line != null) {
                line.end();
            }
            int dumped = dump.waitFor();
            int restored = restore.waitFor();
            // pg_dump killed by SIGPIPE (141) only says that pg_restore stopped reading: pg_restore says why
            if (dumped != 0 && dumped != SIGPIPE) {
                throw new PghaException("pg_dump failed (exit " + dumped + "): " + lastLines(dumpErrors) + "; database "
                        + database + " was dropped again");
            }
            if (restored != 0 || dumped != 0) {
                throw new PghaException("pg_restore failed (exit " + restored + "): " + lastLines(restoreErrors)
                        + "; database " + database + " was dropped again");
            }
            restoreErrors.awaitEnd(STDERR_DRAIN); // the objects counted from its last lines
            return progress;
        } catch (IOException e) {
            throw new PghaException("cannot run pg_dump and pg_restore: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new PghaException("interrupted; database " + database + " was dropped again");
        } finally {
            for (Process p : new Process[] {dump, restore}) {
                if (p != null && p.isAlive()) {
                    p.destroyForcibly();
                }
            }
        }
    }

    /** pg_dump --jobs into a private temporary directory, then pg_restore --jobs from it; the directory goes after. */
    private Progress copyInParallel(
            PgBinaries tools, Path passfile, MemberInfo leader, PghaConfig config, PrintWriter out) {
        Progress progress = new Progress();
        ProgressLine line = json() ? null : ProgressLine.of(out);
        Path work = null;
        Process p = null;
        try {
            work = Files.createTempDirectory(
                    "pgha-import-dump-",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            Path dir = work.resolve("dump");
            p = start(dumpCommand(tools, "--format=directory", "--jobs=" + jobs, "--file=" + dir), passfile);
            LineTail dumpErrors = tail(p.getErrorStream(), null);
            while (!p.waitFor(1, TimeUnit.SECONDS)) {
                progress.bytes.set(sizeOf(dir));
                if (line != null) {
                    line.show("importing: dumping with " + jobs + " connections, " + Formats.bytes(progress.bytes.get())
                            + " written");
                }
            }
            progress.bytes.set(sizeOf(dir));
            if (p.exitValue() != 0) {
                throw new PghaException("pg_dump failed (exit " + p.exitValue() + "): " + lastLines(dumpErrors)
                        + "; database " + database + " was dropped again");
            }
            p = start(restoreCommand(tools, leader, config, "--jobs=" + jobs, dir.toString()), passfile);
            LineTail restoreErrors = tail(p.getErrorStream(), progress);
            while (!p.waitFor(1, TimeUnit.SECONDS)) {
                if (line != null) {
                    line.show("importing: restoring with " + jobs + " connections, " + progress.objects.get()
                            + " objects created");
                }
            }
            if (p.exitValue() != 0) {
                throw new PghaException("pg_restore failed (exit " + p.exitValue() + "): " + lastLines(restoreErrors)
                        + "; database " + database + " was dropped again");
            }
            restoreErrors.awaitEnd(STDERR_DRAIN); // the objects counted from its last lines
            return progress;
        } catch (IOException e) {
            throw new PghaException("cannot run pg_dump and pg_restore: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new PghaException("interrupted; database " + database + " was dropped again");
        } finally {
            if (line != null) {
                line.end();
            }
            if (p != null && p.isAlive()) {
                p.destroyForcibly();
            }
            deleteQuietly(work);
        }
    }

    private static long sizeOf(Path dir) {
        try (Stream<Path> files = Files.walk(dir)) {
            return files.filter(Files::isRegularFile)
                    .mapToLong(f -> f.toFile().length())
                    .sum();
        } catch (IOException | UncheckedIOException e) {
            return 0; // pg_dump has not created it yet, or is writing it
        }
    }

    private static void deleteQuietly(Path dir) {
        if (dir == null) {
            return;
        }
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        } catch (IOException | UncheckedIOException e) {
            // best effort: the directory is private to this user
        }
    }

    /** pg_dump of the source without owners or grants, with {@code more} (format, jobs, file). */
    private List<String> dumpCommand(PgBinaries tools, String... more) {
        List<String> c = new ArrayList<>(List.of(tools.tool("pg_dump").toString(), "--no-owner", "--no-privileges"));
        c.addAll(List.of(more));
        c.add("--dbname=" + source.conninfo());
        return c;
    }

    /**
     * pg_restore into the new database on the leader, stopping at the first error, verbose (its lines count the
     * objects), with {@code more} (jobs, the dump directory; none: from stdin).
     */
    private List<String> restoreCommand(PgBinaries tools, MemberInfo leader, PghaConfig config, String... more) {
        List<String> c = new ArrayList<>(List.of(
                tools.tool("pg_restore").toString(),
                "--exit-on-error",
                "--no-owner",
                "--no-privileges",
                "--verbose",
                "--dbname=" + ConnectCommand.conninfo(leader, database, config)));
        c.addAll(List.of(more));
        return c;
    }

    private static Process start(List<String> command, Path passfile) throws IOException {
        ProcessBuilder pb = Libpq.tool(command, passfile, KEPT_ENV);
        pb.environment().put("PGCONNECT_TIMEOUT", "10");
        return pb.start();
    }

    /** Follows a tool's stderr; with {@code progress}, pg_restore's verbose lines count objects and are not kept. */
    private static LineTail tail(InputStream stderr, Progress progress) {
        return LineTail.follow(
                stderr,
                5,
                line -> {
                    if (progress != null && line.startsWith("pg_restore: creating ")) {
                        progress.objects.incrementAndGet();
                        return false;
                    }
                    return progress == null || !line.startsWith("pg_restore: processing ");
                },
                "import-stderr");
    }

    /** The last lines a tool wrote, once its stderr is read to the end (its reason comes last), for a message. */
    private static String lastLines(LineTail stderr) throws InterruptedException {
        stderr.awaitEnd(STDERR_DRAIN);
        return stderr.lines().stream().map(String::strip).collect(Collectors.joining(" | "));
    }

    private static final class Progress {
        final AtomicLong bytes = new AtomicLong();
        final AtomicLong objects = new AtomicLong();

        @Override
        public String toString() {
            return "importing: " + Formats.bytes(bytes.get()) + " streamed, " + objects.get() + " objects created";
        }
    }
}
