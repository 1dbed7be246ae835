package dev.pgha.common.fs;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SecureDirectoryStream;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/** Files only their owner may read (0600), written atomically so a crash never leaves half a file. */
public final class PrivateFiles {
    private PrivateFiles() {}

    /** Creates {@code dir} (and parents) if missing, and makes it 0700. */
    public static void privateDirectory(Path dir) throws IOException {
        Files.createDirectories(dir);
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
    }

    /**
     * Writes {@code content} to {@code file} with mode 0600 from the first byte on, replacing it atomically. Safe in a
     * directory another user can write to (postgres's, where pgha runs as root): the temporary file is created new
     * (O_EXCL, which never follows a symbolic link) and written through that one open file, deleting never follows a
     * link, and the rename replaces a link at {@code file} rather than writing through it.
     */
    public static void write(Path file, byte[] content) throws IOException {
        Path tmp = file.resolveSibling("." + file.getFileName() + ".tmp");
        Files.deleteIfExists(tmp);
        try {
            try (FileChannel channel = FileChannel.open(
                    tmp,
                    Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS),
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")))) {
                ByteBuffer buffer = ByteBuffer.wrap(content);
                while (buffer.hasRemaining()) {
                    channel.write(buffer);
                }
                channel.force(true);
            }
            try {
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /**
     * Deletes everything under {@code root} but not root itself (it may be a mount point), never following a symbolic
     * link: each directory is opened once and its entries are deleted relative to that open directory, so a directory
     * swapped for a link while this runs (by the user that owns the tree) cannot redirect a delete elsewhere.
     */
    public static void deleteContents(Path root) throws IOException {
        if (!Files.isDirectory(root, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (DirectoryStream<Path> dir = Files.newDirectoryStream(root)) {
            if (!(dir instanceof SecureDirectoryStream<Path> secure)) {
                throw new IOException("this platform cannot delete " + root + " without following links");
            }
            deleteEntries(secure);
        }
    }

    private static void deleteEntries(SecureDirectoryStream<Path> dir) throws IOException {
        List<Path> names = new ArrayList<>();
        for (Path entry : dir) {
            names.add(entry.getFileName());
        }
        for (Path name : names) {
            BasicFileAttributes attrs = dir.getFileAttributeView(
                            name, BasicFileAttributeView.class, LinkOption.NOFOLLOW_LINKS)
                    .readAttributes();
            if (attrs.isDirectory()) {
                try (SecureDirectoryStream<Path> child = dir.newDirectoryStream(name, LinkOption.NOFOLLOW_LINKS)) {
                    deleteEntries(child);
                }
                dir.deleteDirectory(name);
            } else {
                dir.deleteFile(name);
            }
        }
    }

    /**
     * Why {@code path} cannot be trusted to hold pgha's state, or null when it can: it must not be a symbolic link,
     * must belong to the user pgha runs as (or root), and must not be writable by every user. Otherwise someone else
     * could have put it there (a secrets file planted in a pre-created directory would become the cluster's passwords).
     */
    public static String untrusted(Path path) throws IOException {
        return untrusted(path, false);
    }

    /**
     * The same, for a path the operator configured ({@code followLink}: a data directory that is a link to a volume
     * is normal; what the link points at is checked).
     */
    public static String untrusted(Path path, boolean followLink) throws IOException {
        if (!Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
            return null;
        }
        if (followLink) {
            path = path.toRealPath();
        } else if (Files.isSymbolicLink(path)) {
            return path + " is a symbolic link; pgha does not follow links here: replace it with the real "
                    + (Files.isDirectory(path) ? "directory" : "file");
        }
        int owner = (Integer) Files.getAttribute(path, "unix:uid", LinkOption.NOFOLLOW_LINKS);
        int self = (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
        if (owner != self && owner != 0) {
            return path + " belongs to uid " + owner + ", not to the user pgha runs as (uid " + self
                    + ") or root: if it is yours, chown " + self + " " + path + "; otherwise remove it";
        }
        int mode = (Integer) Files.getAttribute(path, "unix:mode", LinkOption.NOFOLLOW_LINKS);
        if ((mode & 0002) != 0) {
            return path + " is writable by every user: chmod o-w " + path;
        }
        return null;
    }
}
