package dev.pgha.keeper;

import dev.pgha.common.PghaException;
import dev.pgha.common.model.ParameterRules;
import java.io.IOException;
import java.nio.file.Path;
import java.sql.SQLException;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps postgres's settings in line with the parameters `pgha config set` stored for the cluster (ALTER SYSTEM, so
 * they survive restarts, then a reload). Owned by the keeper's loop; a failure is retried on the next heartbeat.
 * What it reads from the store is checked against {@link ParameterRules} again, whoever wrote it: a parameter the
 * rules refuse is skipped, with one log line, and never reaches postgres.
 *
 * <p>A value postgres accepts can still keep it from starting (ssl=on without a certificate, huge_pages=on without
 * huge pages). When a start fails after this run changed parameters, the keeper puts postgresql.auto.conf back as it
 * was at the last good start, sets the offending values aside until the cluster's parameters change again, and says
 * so in its log and, as a notice, in its status ({@code pgha status}).
 */
final class ParameterUpkeep {
    private static final Logger log = LoggerFactory.getLogger(ParameterUpkeep.class);

    private Map<String, String> applied = Map.of();
    private String lastFailure;
    private Map<String, String> refused = Map.of(); // what was skipped and said so: said once per distinct value
    private AutoConfSnapshot lastGoodStart; // postgresql.auto.conf when postgres last started; null: not yet
    private Map<String, String> setAside = Map.of(); // stored values that kept postgres from starting
    private String notice; // what the status says about the last revert

    void apply(Map<String, String> stored, PgClient client) {
        Map<String, String> wanted = acceptable(stored);
        if (wanted.equals(applied)) {
            return;
        }
        Map<String, String> set = new TreeMap<>(wanted);
        set.entrySet().removeIf(e -> e.getValue().equals(applied.get(e.getKey())));
        List<String> reset = applied.keySet().stream()
                .filter(k -> !wanted.containsKey(k))
                .sorted()
                .toList();
        try {
            if (!set.isEmpty() || !reset.isEmpty()) {
                client.applyParameters(set, reset);
                log.info(
                        "postgres parameters applied: {}{}",
                        set.isEmpty() ? "" : "set " + String.join(", ", set.keySet()),
                        reset.isEmpty() ? "" : (set.isEmpty() ? "" : "; ") + "reset " + String.join(", ", reset));
            }
            applied = Map.copyOf(wanted);
            lastFailure = null;
        } catch (SQLException e) {
            if (!Objects.equals(e.getMessage(), lastFailure)) {
                log.warn("cannot apply the cluster's postgres parameters yet: {}", e.getMessage());
            }
            lastFailure = e.getMessage();
        }
    }

    /**
     * After an action that ends with a start ({@code failure} null when it succeeded): a good start is what parameters
     * go back to; a failed START after this run changed parameters puts them back. True: start again at once.
     */
    boolean afterStart(KeeperAction.Kind kind, RuntimeException failure, LocalPostgres postgres) {
        boolean starts = kind == KeeperAction.Kind.START
                || kind == KeeperAction.Kind.INITIALIZE
                || kind == KeeperAction.Kind.CLONE
                || kind == KeeperAction.Kind.REWIND;
        if (!starts) {
            return false;
        }
        Path pgdata = postgres.data().path();
        if (failure == null) {
            started(pgdata);
            return false;
        }
        return kind == KeeperAction.Kind.START
                && failure instanceof PghaException
                && !(failure instanceof LocalPostgres.Fatal)
                && revertAfterFailedStart(pgdata, postgres.osUser(), postgres.lastStartProblem());
    }

    /** Postgres started: its settings, as they are now, are the ones to go back to. */
    private void started(Path pgdata) {
        try {
            lastGoodStart = AutoConfSnapshot.read(pgdata);
        } catch (IOException e) {
            log.warn("cannot read {} after a start: {}", AutoConfSnapshot.FILE, e.getMessage());
        }
    }

    /**
     * A start failed ({@code why}): when this run changed parameters since the last good start, puts them back and
     * returns true (start again at once); false when parameters are not the cause.
     */
    private boolean revertAfterFailedStart(Path pgdata, PostgresOsUser user, String why) {
        if (lastGoodStart == null) {
            return false;
        }
        Map<String, String> good = lastGoodStart.values();
        Map<String, String> changed = new TreeMap<>();
        applied.forEach((name, value) -> {
            if (!value.equals(good.get(name.toLowerCase(Locale.ROOT)))) {
                changed.put(name, value);
            }
        });
        if (changed.isEmpty()) {
            return false;
        }
        try {
            lastGoodStart.restore(pgdata, user);
        } catch (IOException e) {
            log.error("cannot put {} back after a failed start: {}", AutoConfSnapshot.FILE, e.getMessage());
            return false;
        }
        Map<String, String> aside = new TreeMap<>(setAside);
        aside.putAll(changed);
        setAside = Map.copyOf(aside);
        applied = Map.of(); // the file is the good one again: the next apply sets what remains
        String list = String.join(", ", changed.keySet());
        notice = "parameters reverted: postgres did not start with " + list + " (" + why + "); they stay unapplied "
                + "until the cluster's parameters change (pgha config set)";
        log.error("{}", notice);
        return true;
    }

    /** What the status should say even while healthy; null when nothing. */
    String notice() {
        return notice;
    }

    private Map<String, String> acceptable(Map<String, String> stored) {
        Map<String, String> ok = new TreeMap<>();
        Map<String, String> skipped = new TreeMap<>();
        if (!setAside.isEmpty() && !stored.entrySet().containsAll(setAside.entrySet())) {
            setAside = Map.of(); // the operator changed them: try what is stored now
            notice = null;
        }
        stored.forEach((name, value) -> ParameterRules.refusal(name, value)
                .ifPresentOrElse(
                        why -> {
                            skipped.put(name, value);
                            if (!value.equals(refused.get(name))) {
                                log.warn("parameter from the cluster store skipped: {}", why);
                            }
                        },
                        () -> {
                            if (!value.equals(setAside.get(name))) {
                                ok.put(name, value);
                            }
                        }));
        refused = skipped;
        return ok;
    }
}
