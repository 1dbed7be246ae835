package dev.pgha.app.cli;

import picocli.CommandLine.Option;

/** -d/--database, for the commands that work on one database (postgres unless given). */
final class DatabaseOption {
    @Option(
            names = {"-d", "--database"},
            paramLabel = "NAME",
            defaultValue = "postgres",
            description = "Database (default: ${DEFAULT-VALUE}).")
    String name;

    /** The name, checked as every database name is. */
    String checked() {
        return Names.check("database", name);
    }
}
