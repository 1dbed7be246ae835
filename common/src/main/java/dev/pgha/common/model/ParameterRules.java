package dev.pgha.common.model;

import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Which postgres parameters may be set for the cluster (`pgha config set`, stored in the cluster store, applied by
 * every keeper). The CLI refuses what this refuses, and the keeper checks again what it reads from the store: a value
 * in the store proves only that someone could write there.
 *
 * <p>Refused: parameters pgha sets itself (replication, fencing and the proxy depend on them); every parameter that
 * runs a command or loads code, since a value there is code execution as the postgres user on every member; log
 * files placed outside the data directory; malformed names and values.
 */
public final class ParameterRules {
    /** Parameters pgha sets itself. */
    public static final Set<String> MANAGED = Set.of(
            "port",
            "listen_addresses",
            "data_directory",
            "hba_file",
            "ident_file",
            "config_file",
            "external_pid_file",
            "unix_socket_directories",
            "unix_socket_group",
            "unix_socket_permissions",
            "wal_level",
            "hot_standby",
            "max_wal_senders",
            "max_replication_slots",
            "primary_conninfo",
            "primary_slot_name",
            "synchronous_standby_names",
            "wal_log_hints",
            "recovery_target_timeline",
            "password_encryption",
            "ssl",
            "ssl_cert_file",
            "ssl_key_file",
            "cluster_name",
            "default_transaction_read_only");

    /**
     * Parameters that run a command or load code (or, for archive_mode, hand WAL to one). Backups, when pgha manages
     * them, set the archive parameters themselves.
     */
    public static final Set<String> RUN_CODE = Set.of(
            "archive_command",
            "archive_library",
            "archive_mode",
            "restore_command",
            "archive_cleanup_command",
            "recovery_end_command",
            "ssl_passphrase_command",
            "shared_preload_libraries",
            "session_preload_libraries",
            "local_preload_libraries",
            "dynamic_library_path",
            "jit_provider");

    /** Log files: relative to the data directory only. */
    private static final Set<String> LOG_PATHS = Set.of("log_directory", "log_filename");

    /** A GUC name: a word, or an extension's dotted one (pg_stat_statements.max). */
    private static final Pattern NAME = Pattern.compile("[a-z_][a-z0-9_$]*(\\.[a-z_][a-z0-9_$]*)?");

    private static final int MAX_NAME = 63;
    private static final int MAX_VALUE = 4096;

    private ParameterRules() {}

    /** Why {@code name=value} must not be set, in one line naming it; empty when it may be. */
    public static Optional<String> refusal(String name, String value) {
        String n = name.toLowerCase(Locale.ROOT);
        if (n.length() > MAX_NAME || !NAME.matcher(n).matches()) {
            return Optional.of("\"" + printable(name) + "\" is not a postgres parameter name");
        }
        if (n.equals("default_transaction_read_only")) {
            return Optional.of(n + " is managed by pgha: it turns it on while the data volume is fuller than "
                    + "postgres.diskFullPercent (PGHA_DISK_FULL_PERCENT) and off again below");
        }
        if (MANAGED.contains(n)) {
            return Optional.of(
                    n + " is managed by pgha (replication, fencing and the proxy depend on it) and cannot " + "be set");
        }
        if (RUN_CODE.contains(n)) {
            return Optional.of(n + " runs commands or loads code on every member, so pgha does not take it from the "
                    + "cluster store; set it in the image's postgresql configuration if you need it");
        }
        if (value.length() > MAX_VALUE || value.chars().anyMatch(ch -> ch < 0x20 && ch != '\t')) {
            return Optional.of(
                    "the value of " + n + " is longer than " + MAX_VALUE + " characters or holds control characters");
        }
        if (LOG_PATHS.contains(n) && (value.startsWith("/") || value.contains(".."))) {
            return Optional.of(n + " must stay inside the data directory (a relative path without \"..\")");
        }
        return Optional.empty();
    }

    private static String printable(String s) {
        String cut = s.length() > MAX_NAME ? s.substring(0, MAX_NAME) + "…" : s;
        return cut.replaceAll("\\p{Cntrl}", "?");
    }
}
