package dev.pgha.keeper;

import java.nio.file.Path;

/**
 * The inputs postgresql.conf is generated from.
 *
 * @param memoryBytes    memory postgres may use
 * @param diskBytes      size of the data volume (bounds WAL retention so WAL cannot fill it)
 * @param port           PG_PORT
 * @param maxConnections max_connections
 * @param socketDir      unix_socket_directories
 */
public record PgTuning(long memoryBytes, long diskBytes, int port, int maxConnections, Path socketDir) {}
