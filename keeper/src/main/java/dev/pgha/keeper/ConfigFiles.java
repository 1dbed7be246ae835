package dev.pgha.keeper;

import dev.pgha.common.config.PghaConfig;
import dev.pgha.common.fs.PrivateFiles;
import dev.pgha.common.secret.Credentials;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * The files pgha writes into PGDATA before each start: postgresql.conf (sized from memory and disk, with TLS on),
 * pg_hba.conf (from the {@link AccessPolicy}) and, for a standby, its settings and standby.signal; and the TLS
 * certificate postgres serves ({@link ServerTls}). Each is owned by postgres's OS user and private to it.
 */
final class ConfigFiles {
    private final PghaConfig config;
    private final String memberId;
    private final PostgresOsUser user;
    private final MemoryProbe.Budget memory;
    private final Path pgdata;
    private final Path passfile;
    private final ServerTls tls;
    private volatile AccessPolicy access;
    private volatile String ownHost;
    private volatile String archiveCommand; // null: archiving off
    private volatile String recovery; // a restore's recovery settings while it replays; null otherwise

    ConfigFiles(
            PghaConfig config,
            String memberId,
            PostgresOsUser user,
            MemoryProbe.Budget memory,
            Path pgdata,
            Path passfile) {
        this.config = config;
        this.memberId = memberId;
        this.user = user;
        this.memory = memory;
        this.pgdata = pgdata;
        this.passfile = passfile;
        this.tls = new ServerTls(config, user);
        this.access = AccessPolicy.initial(
                Credentials.REPL_ROLE,
                AccessUpkeep.BUILT_IN_SUPERUSERS,
                config.postgres().requireTls());
    }

    /** Who may connect: what pg_hba.conf says at the next write. */
    AccessPolicy access() {
        return access;
    }

    void access(AccessPolicy now) {
        access = now;
    }

    /** The address this member registered: its certificate names it. */
    void ownHost(String host) {
        ownHost = host;
    }

    /** Archive WAL with {@code command} from the next start on (backups are configured). */
    void archiveCommand(String command) {
        archiveCommand = command;
    }

    /** Recovery settings of a restore for the next start; null: none. */
    void recovery(String settings) {
        recovery = settings;
    }

    /** Writes {@code content} as pg_hba.conf (a restore's own, for its run only). */
    void writeHba(String content) throws IOException {
        writeOwned(pgdata.resolve("pg_hba.conf"), content);
    }

    /** Rewrites pg_hba.conf from the current policy (postgres reads it at its next reload). */
    void writeHba() throws IOException {
        writeOwned(pgdata.resolve("pg_hba.conf"), access.hba());
    }

    /** postgresql.conf and pg_hba.conf; with a leader, the standby settings and standby.signal too. */
    void write(Upstream leader) throws IOException {
        prepareDirectory(config.runDir());
        long disk = Files.getFileStore(pgdata).getTotalSpace();
        PgTuning tuning = new PgTuning(
                memory.bytes(),
                disk,
                config.postgres().port(),
                config.postgres().maxConnections(),
                config.runDir());
        Set<String> names = new LinkedHashSet<>();
        config.advertiseHost().ifPresent(names::add);
        if (ownHost != null) {
            names.add(ownHost);
        }
        tls.prepare(config.tls().orElse(null), memberId, names);
        String conf = PostgresConf.render(tuning, memory.source())
                + PostgresConf.tls(
                        tls.certFile(), tls.keyFile(), config.postgres().listenAddresses());
        if (archiveCommand != null) {
            conf += PostgresConf.archiving(archiveCommand);
        }
        if (recovery != null) {
            conf += recovery;
        }
        if (leader != null) {
            conf += PostgresConf.standby(
                    leader,
                    memberId,
                    passfile,
                    Credentials.REPL_ROLE,
                    ServerTls.clientSettings(config.tlsDir(), config.tls().isPresent()));
        }
        writeOwned(pgdata.resolve("postgresql.conf"), conf);
        writeHba();
        if (leader != null) {
            writeOwned(standbySignal(), "");
        }
    }

    Path standbySignal() {
        return pgdata.resolve("standby.signal");
    }

    /** PGDATA has standby.signal: it last ran (or will start) as a standby. */
    boolean standbyConfigured() {
        return Files.exists(standbySignal());
    }

    private void writeOwned(Path file, String content) throws IOException {
        PrivateFiles.write(file, content.getBytes(StandardCharsets.UTF_8));
        user.own(file);
    }

    /** Creates {@code dir}, owned by postgres's OS user and private to it. */
    void prepareDirectory(Path dir) throws IOException {
        prepareDirectory(dir, user);
    }

    /** Creates {@code dir}, owned by {@code user} and private to it. */
    static void prepareDirectory(Path dir, PostgresOsUser user) throws IOException {
        Files.createDirectories(dir);
        user.own(dir);
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
    }
}
