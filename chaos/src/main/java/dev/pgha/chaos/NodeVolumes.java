package dev.pgha.chaos;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Each node's data directory on a volume of its own, so that one can fill up (the standby-disk-full fault): a
 * tmpfs of {@link #SIZE} mounted over it. The mounts are made in the run's own mount namespace ({@code ip netns
 * exec} gives it one, and each daemon's namespace is a copy made after them), so they vanish with the run even when
 * it is killed; {@link #close} unmounts them first all the same.
 */
final class NodeVolumes implements AutoCloseable {
    static final String SIZE = "1536m";
    private static final String BALLAST = "chaos-ballast";

    private final Path work;
    private final int nodes;

    private NodeVolumes(Path work, int nodes) {
        this.work = work;
        this.nodes = nodes;
    }

    /** Mounts a volume over every node's (still empty) data directory. */
    static NodeVolumes mount(Path work, int nodes) {
        NodeVolumes volumes = new NodeVolumes(work, nodes);
        for (int i = 1; i <= nodes; i++) {
            Shell.check(
                    "mount",
                    "-t",
                    "tmpfs",
                    "-o",
                    "size=" + SIZE + ",mode=0711",
                    "pgha-chaos-n" + i,
                    volumes.dataDir(i).toString());
        }
        return volumes;
    }

    Path dataDir(int i) {
        return work.resolve("n" + i);
    }

    /** Fills node {@code i}'s volume to the last byte with a file that is not postgres's; returns its size. */
    long fill(int i) throws IOException {
        long written = 0;
        byte[] chunk = new byte[1 << 20];
        try (OutputStream out = Files.newOutputStream(
                dataDir(i).resolve(BALLAST), StandardOpenOption.CREATE, StandardOpenOption.APPEND)) {
            while (true) {
                out.write(chunk);
                written += chunk.length;
            }
        } catch (IOException e) {
            if (written == 0 && !String.valueOf(e.getMessage()).contains("No space left")) {
                throw e;
            }
        }
        return written;
    }

    void free(int i) throws IOException {
        Files.deleteIfExists(dataDir(i).resolve(BALLAST));
    }

    /** Unmounts every volume; call once the daemons and their postgres are gone. */
    @Override
    public void close() {
        for (int i = 1; i <= nodes; i++) {
            Shell.run(java.util.List.of("umount", "--lazy", dataDir(i).toString()));
        }
    }
}
