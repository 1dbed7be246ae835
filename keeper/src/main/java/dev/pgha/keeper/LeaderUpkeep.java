package dev.pgha.keeper;

import dev.pgha.common.model.ClusterSpec;
import dev.pgha.common.model.ClusterView;
import dev.pgha.common.secret.Credentials;
import dev.pgha.common.store.ClusterSnapshot;
import java.sql.SQLException;
import java.util.List;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The leader's upkeep: a replication slot for every registered member, synchronous_standby_names as the view says,
 * and pgha's roles with their passwords once per start or promotion. Owned by the keeper's loop.
 */
final class LeaderUpkeep {
    private static final Logger log = LoggerFactory.getLogger(LeaderUpkeep.class);

    private final String memberId;
    private final Credentials credentials;
    private long rolesEnsuredAt = -1; // the LocalPostgres epoch whose roles are in place
    private long rolesCheckedAt = -1; // the LocalPostgres epoch whose roles a standby checked
    // Confirmation of synchronous_standby_names: where the WAL was once postgres surely waited for the setting (a
    // heartbeat after this session saw it: the checkpointer and walsenders reload on the same signal), and whether a
    // member has flushed past that since.
    private String settingSeen; // the setting this session has seen take effect
    private long confirmFrom = -1; // -1: not yet known
    private boolean confirmed;

    LeaderUpkeep(String memberId, Credentials credentials) {
        this.memberId = memberId;
        this.credentials = credentials;
    }

    /**
     * Slots and synchronous_standby_names first: a commit (such as setting role passwords) would otherwise wait for
     * standbys an earlier leader named, which may be gone; then the roles. Returns true once postgres matches the
     * view (only then is the generation acknowledged, which the sentinel waits for before it shrinks the
     * synchronous set).
     */
    boolean lead(ClusterSnapshot s, PgClient.PgState state, LocalPostgres postgres, Consumer<String> problem) {
        ClusterView view = s.view();
        PgClient client = postgres.client();
        try {
            List<String> slots = s.members().keySet().stream()
                    .filter(id -> !id.equals(memberId))
                    .map(Upstream::slotName)
                    .toList();
            PgClient.SlotChanges changed = client.reconcileSlots(slots);
            for (String created : changed.created()) {
                log.info("created replication slot {}", created);
            }
            for (String dropped : changed.dropped()) {
                log.info("dropped replication slot {}: its member was removed", dropped);
            }
            ClusterSpec spec = s.spec();
            boolean strict =
                    spec.synchronousStrict() && spec.synchronous(s.members().size());
            String wanted = SynchronousNames.render(view.awaitedNames(), strict, spec.synchronousStandbys());
            if (state != null && !wanted.equals(state.synchronousSetting())) {
                client.setSynchronousStandbyNames(wanted);
                log.info("synchronous_standby_names = '{}'", wanted);
            }
            if (state != null) {
                confirm(state, client);
            }
        } catch (SQLException e) {
            problem.accept("cannot update replication settings: " + postgres.describe(e));
            return false;
        }
        if (!rolesEnsured(postgres)) {
            try {
                client.ensureRoles(credentials);
                rolesEnsuredAt = postgres.epoch();
                log.info(
                        "roles {}, {} and {} are in place",
                        Credentials.SU_ROLE,
                        Credentials.REPL_ROLE,
                        Credentials.OPERATOR_ROLE);
            } catch (SQLException e) {
                problem.accept("cannot set up roles: " + postgres.describe(e));
            }
        }
        return true;
    }

    /**
     * Follows whether a member that synchronous_standby_names names has flushed past where the WAL was once postgres
     * waited for that setting: from then on it holds everything this leader acknowledged, also alone. The position
     * is taken a heartbeat after this session first saw the setting, by when the processes that decide whether a
     * commit waits have reloaded it too.
     */
    private void confirm(PgClient.PgState state, PgClient client) throws SQLException {
        String setting = state.synchronousSetting();
        if (!setting.equals(settingSeen)) {
            settingSeen = setting;
            confirmFrom = -1;
            confirmed = false;
            return;
        }
        List<String> names = SynchronousNames.parse(setting);
        if (confirmed || names.isEmpty()) {
            return;
        }
        if (confirmFrom < 0) {
            confirmFrom = state.writtenLsn();
            return;
        }
        confirmed = client.anyFlushedPast(names, confirmFrom);
        if (confirmed) {
            log.info("a member of synchronous_standby_names '{}' holds everything this leader acknowledged", setting);
        }
    }

    /** A member synchronous_standby_names names (as postgres runs it now) holds all this leader acknowledged. */
    boolean synchronousConfirmed() {
        return confirmed;
    }

    /**
     * On a standby, once per start: checks pgha's roles' passwords against the replicated catalog (read-only), so
     * that a promotion finds their verifiers already checked (ScramVerifier remembers them) and the new leader's check
     * of its roles, on the way to its first client, is one query.
     */
    void prepareOnStandby(LocalPostgres postgres) {
        if (rolesCheckedAt == postgres.epoch()) {
            return;
        }
        rolesCheckedAt = postgres.epoch();
        try {
            postgres.client().rolesVerified(credentials);
        } catch (SQLException e) {
            // only an early check: the leader's own runs in any case
        }
    }

    /** The roles were set up since postgres last started or was promoted. */
    boolean rolesEnsured(LocalPostgres postgres) {
        return rolesEnsuredAt == postgres.epoch();
    }
}
