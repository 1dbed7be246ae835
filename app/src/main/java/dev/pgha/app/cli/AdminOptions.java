package dev.pgha.app.cli;

import java.nio.file.Path;
import picocli.CommandLine.Option;

/** Options every admin command takes: where the cluster's store is, and the output format. */
public final class AdminOptions {
    @Option(
            names = "--store",
            paramLabel = "HOST:PORT,...",
            description = "ZooKeeper connect string of the cluster (default: this node's, from its configuration).")
    String store;

    @Option(
            names = "--store-secret-file",
            paramLabel = "FILE",
            description = "A file holding the cluster's store secret (default: PGHA_STORE_SECRET, else this node's "
                    + "stored one).")
    Path storeSecretFile;

    @Option(
            names = "--config",
            paramLabel = "FILE",
            description = "The node's config file (default: $PGHA_DATA_DIR/pgha.conf when it exists).")
    Path config;

    @Option(names = "--json", description = "Print JSON instead of a table.")
    boolean json;
}
