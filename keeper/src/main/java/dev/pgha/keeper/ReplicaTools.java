package dev.pgha.keeper;

import dev.pgha.common.PghaException;
import dev.pgha.common.fs.PrivateFiles;
import dev.pgha.common.health.Formats;
import dev.pgha.common.secret.Credentials;
import dev.pgha.common.secret.Secret;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * pg_basebackup and pg_rewind against the leader, run as postgres's OS user. Passwords reach them only through a
 * passfile (0600, owned by that user), never on a command line or in the environment.
 */
final class ReplicaTools {
    private static final Duration CLONE_TIMEOUT = Duration.ofHours(24);
    private static final Duration REWIND_TIMEOUT = Duration.ofHours(1);
    private static final Pattern PROGRESS = Pattern.compile("(\\d+)/(\\d+) kB \\((\\d+)%\\)");

    private final PgBinaries binaries;
    private final PostgresOsUser user;
    private final Path passfile;

    private final Map<String, String> tls;

    ReplicaTools(PgBinaries binaries, PostgresOsUser user, Path runDir, Map<String, String> tls) {
        this.binaries = binaries;
        this.user = user;
        this.passfile = runDir.resolve("pgpass");
        this.tls = Map.copyOf(tls);
    }

    Path passfile() {
        return passfile;
    }

    /**
     * (Re)writes the passfile with the replication and superuser passwords for the exact hosts and ports of
     * {@code servers} (the leader, and a standby copied instead) only: libpq hands a password to whatever server
     * matches a line, so a line for any host would give it to a server the tools were pointed at by mistake, or by
     * someone who rewrote the store.
     */
    void writePassfile(Credentials credentials, Upstream... servers) throws IOException {
        StringBuilder content = new StringBuilder();
        for (Upstream server : servers) {
            content.append(line(server, Credentials.REPL_ROLE, credentials.replPassword()))
                    .append(line(server, Credentials.SU_ROLE, credentials.suPassword()));
        }
        PrivateFiles.write(passfile, content.toString().getBytes(StandardCharsets.UTF_8));
        user.own(passfile);
    }

    private static String line(Upstream leader, String role, Secret password) {
        return escape(leader.host()) + ":" + leader.port() + ":*:" + escape(role) + ":" + escape(password.reveal())
                + "\n";
    }

    private static String escape(String s) {
        return s.replace("\\", "\\\\").replace(":", "\\:");
    }

    /**
     * Copies {@code source}'s data into the empty {@code pgdata} and tells {@code progress} how far it got about once a
     * second ("1.20 GB of 4.00 GB (30%)"). WAL streams through {@code slot} (this member's slot on the leader), or,
     * null, through a temporary slot (a standby's copy: this member's slot is on the leader).
     */
    void cloneFrom(Upstream source, String slot, Path pgdata, Consumer<String> progress) {
        List<String> command = new ArrayList<>(List.of(
                binaries.tool("pg_basebackup").toString(),
                "--pgdata=" + pgdata,
                "--host=" + source.host(),
                "--port=" + source.port(),
                "--username=" + Credentials.REPL_ROLE,
                "--no-password",
                "--wal-method=stream",
                "--checkpoint=fast",
                "--progress"));
        if (slot != null) {
            command.add("--slot=" + slot);
        }
        ProcessRunner.Result r = ProcessRunner.run(
                user.wrap(command),
                env(),
                CLONE_TIMEOUT,
                line -> cloneProgress(line).ifPresent(progress));
        if (!r.ok()) {
            List<String> said =
                    r.output().stream().filter(l -> cloneProgress(l).isEmpty()).toList();
            throw new PghaException("cloning member " + source.memberId() + " (" + source.host() + ":" + source.port()
                    + ") with pg_basebackup failed: " + new ProcessRunner.Result(r.exitCode(), said).tail(2));
        }
    }

    /** pg_basebackup --progress prints "  123/456 kB (26%), 0/1 tablespace" without a terminal, once a second. */
    static Optional<String> cloneProgress(String line) {
        Matcher m = PROGRESS.matcher(line);
        if (!m.find()) {
            return Optional.empty();
        }
        long done = Long.parseLong(m.group(1)) * 1024;
        long total = Long.parseLong(m.group(2)) * 1024;
        return Optional.of(Formats.bytes(done) + " of " + Formats.bytes(total) + " (" + m.group(3) + "%)");
    }

    /**
     * Rewinds {@code pgdata} (stopped) onto the leader's timeline.
     *
     * @return pg_rewind's result: its output says what it did ("servers diverged at ...", "no rewind required")
     */
    ProcessRunner.Result rewind(Upstream leader, Path pgdata) {
        String source = String.join(
                " ",
                "host=" + PostgresConf.conninfoValue(leader.host()),
                "port=" + leader.port(),
                "user=" + PostgresConf.conninfoValue(Credentials.SU_ROLE),
                "dbname=postgres",
                "passfile=" + PostgresConf.conninfoValue(passfile.toString()),
                "connect_timeout=5",
                "application_name=pgha-rewind");
        ProcessRunner.Result r = ProcessRunner.run(
                user.wrap(List.of(
                        binaries.tool("pg_rewind").toString(),
                        "--target-pgdata=" + pgdata,
                        "--source-server=" + source)),
                env(),
                REWIND_TIMEOUT);
        return r;
    }

    private Map<String, String> env() {
        Map<String, String> env = new HashMap<>(Map.of("PGPASSFILE", passfile.toString(), "PGCONNECT_TIMEOUT", "5"));
        env.put("PGSSLMODE", tls.get("sslmode"));
        if (tls.containsKey("sslrootcert")) {
            env.put("PGSSLROOTCERT", tls.get("sslrootcert"));
        }
        return env;
    }
}
