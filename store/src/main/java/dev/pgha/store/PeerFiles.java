package dev.pgha.store;

import dev.pgha.common.fs.PrivateFiles;
import dev.pgha.common.store.StoreEnsemble;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Properties;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The files of an embedded ZooKeeper server in its data directory: {@code myid}, the static configuration pgha
 * writes at every start ({@code zoo.cfg}), and the dynamic configuration ZooKeeper writes whenever the ensemble
 * changes ({@code zoo.cfg.dynamic.<version>}, named in {@code zoo.cfg}). Read with suspicion: a dynamic
 * configuration outside the directory, or one that does not parse, is not used.
 */
final class PeerFiles {
    private static final Logger log = LoggerFactory.getLogger(PeerFiles.class);
    private static final String STATIC = "zoo.cfg";
    private static final String DYNAMIC_KEY = "dynamicConfigFile=";
    private static final long MAX_FILE_BYTES = 64 * 1024;

    private final Path dir;

    PeerFiles(Path dir) {
        this.dir = dir.toAbsolutePath().normalize();
    }

    Path staticConfig() {
        return dir.resolve(STATIC);
    }

    /** The dynamic configuration file ZooKeeper last wrote and named in the static one, if any. */
    Optional<Path> dynamicConfigFile() throws IOException {
        Path cfg = staticConfig();
        if (!Files.isRegularFile(cfg) || Files.size(cfg) > MAX_FILE_BYTES) {
            return Optional.empty();
        }
        for (String line : Files.readAllLines(cfg, StandardCharsets.UTF_8)) {
            if (!line.startsWith(DYNAMIC_KEY)) {
                continue;
            }
            Path named = Path.of(line.substring(DYNAMIC_KEY.length()).strip())
                    .toAbsolutePath()
                    .normalize();
            if (!dir.equals(named.getParent())
                    || !named.getFileName().toString().startsWith(STATIC + ".dynamic.")) {
                log.warn("{} names a dynamic configuration outside its directory ({}): not used", cfg, named);
                return Optional.empty();
            }
            return Files.isRegularFile(named) && Files.size(named) <= MAX_FILE_BYTES
                    ? Optional.of(named)
                    : Optional.empty();
        }
        return Optional.empty();
    }

    /** The ensemble ZooKeeper recorded last, if it did. */
    Optional<StoreEnsemble> dynamicConfig() throws IOException {
        Optional<Path> file = dynamicConfigFile();
        if (file.isEmpty()) {
            return Optional.empty();
        }
        try {
            StoreEnsemble ensemble = StoreEnsemble.parse(Files.readString(file.get(), StandardCharsets.UTF_8));
            return ensemble.servers().isEmpty() ? Optional.empty() : Optional.of(ensemble);
        } catch (IllegalArgumentException e) {
            log.warn("{} cannot be read ({}): not used", file.get(), e.getMessage());
            return Optional.empty();
        }
    }

    /** The server id this directory belongs to, if a server ran in it. */
    OptionalInt myId() throws IOException {
        Path file = dir.resolve("myid");
        if (!Files.isRegularFile(file) || Files.size(file) > 16) {
            return OptionalInt.empty();
        }
        try {
            int id = Integer.parseInt(
                    Files.readString(file, StandardCharsets.UTF_8).strip());
            return id >= 1 && id <= 255 ? OptionalInt.of(id) : OptionalInt.empty();
        } catch (NumberFormatException e) {
            return OptionalInt.empty();
        }
    }

    /** Data of a standalone server of an older pgha: snapshots and logs, but no configuration written by pgha. */
    boolean standaloneData() {
        return Files.isDirectory(dir.resolve("version-2")) && !Files.exists(staticConfig());
    }

    void writeMyId(int id) throws IOException {
        PrivateFiles.write(dir.resolve("myid"), (id + "\n").getBytes(StandardCharsets.UTF_8));
    }

    void writeStaticConfig(Properties properties) throws IOException {
        StringBuilder text = new StringBuilder("# written by pgha at every start; ZooKeeper adds dynamicConfigFile\n");
        new TreeMap<>(properties)
                .forEach((k, v) -> text.append(k).append('=').append(v).append('\n'));
        PrivateFiles.write(staticConfig(), text.toString().getBytes(StandardCharsets.UTF_8));
    }
}
