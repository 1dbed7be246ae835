package dev.pgha.keeper;

import dev.pgha.common.PghaException;
import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The OS identity postgres runs under. Postgres refuses to run as root, so when pgha runs as root every postgres
 * binary is started through {@code setpriv} as the unprivileged user (default "postgres") and PGDATA is owned by it;
 * otherwise postgres runs as pgha's own user.
 */
public final class PostgresOsUser {
    private final String name;
    private final int uid;
    private final int gid;
    private final Path setpriv; // null when no switch is needed

    private PostgresOsUser(String name, int uid, int gid, Path setpriv) {
        this.name = name;
        this.uid = uid;
        this.gid = gid;
        this.setpriv = setpriv;
    }

    /** Decides who runs postgres: {@code configuredUser} when pgha is root, pgha's own user otherwise. */
    public static PostgresOsUser detect(String configuredUser) {
        int euid = effectiveUid();
        if (euid != 0) {
            return new PostgresOsUser(System.getProperty("user.name"), euid, idOf("-g", null), null);
        }
        int uid = idOf("-u", configuredUser);
        if (uid == 0) {
            throw new PghaException("postgres.osUser \"" + configuredUser
                    + "\" is root; postgres refuses to run as root: " + "name an unprivileged user");
        }
        return new PostgresOsUser(
                configuredUser, uid, idOf("-g", configuredUser), Executables.require("setpriv", "util-linux"));
    }

    public String name() {
        return name;
    }

    public int uid() {
        return uid;
    }

    /** {@code command} prefixed so that it runs as this user. */
    public List<String> wrap(List<String> command) {
        if (setpriv == null) {
            return command;
        }
        List<String> wrapped =
                new ArrayList<>(List.of(setpriv.toString(), "--reuid=" + uid, "--regid=" + gid, "--init-groups", "--"));
        wrapped.addAll(command);
        return wrapped;
    }

    /** Makes this user the owner of {@code path} and, if it was not already, of everything under it. */
    public void own(Path path) throws IOException {
        if (!Files.exists(path, LinkOption.NOFOLLOW_LINKS) || setpriv == null) {
            return;
        }
        if (ownedBy(path)) {
            return; // walking a large PGDATA at every start is wasted work once ownership is right
        }
        Files.walkFileTree(path, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) throws IOException {
                chown(dir);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                chown(file);
                return FileVisitResult.CONTINUE;
            }
        });
    }

    /**
     * Fails with a precise message when this user cannot reach {@code target}: some parent directory it does not own
     * is not searchable by others.
     */
    public void requireReachable(Path target) throws IOException {
        if (setpriv == null) {
            return;
        }
        for (Path dir = target.getParent(); dir != null; dir = dir.getParent()) {
            if (!Files.exists(dir)) {
                continue;
            }
            Set<PosixFilePermission> perms = Files.getPosixFilePermissions(dir);
            if (!ownedBy(dir) && !perms.contains(PosixFilePermission.OTHERS_EXECUTE)) {
                throw new PghaException("the " + name + " user cannot reach " + target + ": " + dir
                        + " is not searchable by it; run chmod o+x " + dir
                        + ", or choose a PGHA_DATA_DIR it can reach");
            }
        }
    }

    private boolean ownedBy(Path p) throws IOException {
        return ((Integer) Files.getAttribute(p, "unix:uid", LinkOption.NOFOLLOW_LINKS)) == uid;
    }

    private void chown(Path p) throws IOException {
        Files.setAttribute(p, "unix:uid", uid, LinkOption.NOFOLLOW_LINKS);
        Files.setAttribute(p, "unix:gid", gid, LinkOption.NOFOLLOW_LINKS);
    }

    private static int effectiveUid() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("Uid:")) {
                    return Integer.parseInt(line.split("\\s+")[2]);
                }
            }
        } catch (IOException | RuntimeException e) {
            throw new PghaException("cannot tell which user pgha runs as (/proc/self/status): " + e.getMessage());
        }
        throw new PghaException("cannot tell which user pgha runs as: /proc/self/status has no Uid line");
    }

    private static int idOf(String flag, String user) {
        Path id = Executables.require("id", "coreutils");
        List<String> cmd = user == null ? List.of(id.toString(), flag) : List.of(id.toString(), flag, "--", user);
        ProcessRunner.Result r = ProcessRunner.run(cmd, Duration.ofSeconds(10));
        if (!r.ok() || r.output().isEmpty()) {
            throw new PghaException("pgha runs as root, so postgres must run as the unprivileged user \"" + user
                    + "\", which does not exist: create it (useradd --system --home-dir /var/lib/postgresql " + user
                    + "), install postgresql-15 (which creates it), or set postgres.osUser");
        }
        return Integer.parseInt(r.output().get(0).strip());
    }
}
