package dev.pgha.app.daemon;

import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(
        name = "start",
        description = {
            "Run this node: local postgres (keeper), sentinel and proxy, plus an embedded ZooKeeper unless "
                    + "PGHA_ZK_CONNECT names one. Stops cleanly on SIGTERM or SIGINT; a second signal stops at once."
        },
        mixinStandardHelpOptions = true)
public final class StartCommand implements Callable<Integer> {
    @Option(
            names = "--config",
            paramLabel = "FILE",
            description =
                    "Config file (default: $PGHA_DATA_DIR/pgha.conf when it exists). Environment variables override it.")
    Path config;

    @Option(
            names = "--witness",
            description = "Run only a ZooKeeper peer of PGHA_ZK_ENSEMBLE and a sentinel, no postgres: the third voter "
                    + "that lets a two-database-node cluster keep a quorum.")
    boolean witness;

    @Override
    public Integer call() {
        return new Supervisor(Optional.ofNullable(config), System.getenv(), witness).run();
    }
}
