package dev.pgha.keeper;

import dev.pgha.common.model.HbaRules;
import dev.pgha.common.model.MemberInfo;
import dev.pgha.common.secret.Credentials;
import dev.pgha.common.store.ClusterSnapshot;
import java.io.IOException;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps pg_hba.conf in line with the cluster (owned by the keeper's loop): replication is allowed from the addresses
 * of the members registered now, and TLS is required of every login superuser, including ones created since the
 * last start. A change rewrites the file and reloads postgres; postgres keeps its previous rules if the reload fails.
 * Members' host names are resolved by {@link MemberAddresses}, off the loop.
 */
final class AccessUpkeep implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(AccessUpkeep.class);
    private static final Duration SUPERUSER_RECHECK = Duration.ofSeconds(10);
    static final Set<String> BUILT_IN_SUPERUSERS = Set.of(Credentials.SU_ROLE, Credentials.OPERATOR_ROLE);

    private final MemberAddresses addresses = new MemberAddresses();
    private Instant superusersCheckedAt = Instant.MIN;
    private String lastFailure;
    private List<String> refusedRules = List.of(); // operator rules postgres refused: not tried again until changed
    private String notice; // what the status says about refused rules
    private List<String> warnedUnrepresentable = List.of();
    private List<String> warnedSkipped = List.of();

    /**
     * Updates the policy from {@code s}, and postgres's pg_hba.conf when it changed; before an action, so a start
     * writes the current rules, and a clone's source already admits the new member.
     */
    void apply(ClusterSnapshot s, String memberId, LocalPostgres postgres) {
        ConfigFiles files = postgres.files();
        s.member(memberId).ifPresent(m -> files.ownHost(m.host()));
        AccessPolicy now = files.access();
        AccessPolicy next = now.withMemberAddresses(memberAddresses(s));
        List<String> wantedRules = operatorRules(s);
        // the operator's rules enter only through a running postgres, which checks them first: a start never
        // writes a rule this postgres has not accepted (a bad line in pg_hba.conf would keep it from starting)
        if (postgres.alive() && (wantedRules.isEmpty() || !wantedRules.equals(refusedRules))) {
            refusedRules = List.of();
            notice = null;
            next = next.withOperatorRules(wantedRules);
        }
        if (postgres.alive() && Instant.now().isAfter(superusersCheckedAt.plus(SUPERUSER_RECHECK))) {
            try {
                // pgha's own superusers always count, also before a new primary has created them
                Set<String> superusers = new TreeSet<>(BUILT_IN_SUPERUSERS);
                superusers.addAll(postgres.client().loginSuperusers());
                next = next.withSuperusers(superusers);
                superusersCheckedAt = Instant.now();
            } catch (SQLException e) {
                // not answering yet (starting, recovering): the superusers pgha knows stay in force
            }
        }
        if (!next.unrepresentable().equals(warnedUnrepresentable)) {
            warnedUnrepresentable = next.unrepresentable();
            if (!warnedUnrepresentable.isEmpty()) {
                log.warn(
                        "{} superuser(s) cannot be named in pg_hba.conf (a double quote or control character in the "
                                + "name), so TLS is not required of them: rename them (ALTER ROLE … RENAME TO)",
                        warnedUnrepresentable.size());
            }
        }
        if (next.equals(now)) {
            return;
        }
        boolean fileChanges = !next.hba().equals(now.hba());
        files.access(next);
        if (!fileChanges || !postgres.alive()) {
            return; // written at the next start
        }
        try {
            files.writeHba();
            if (!next.operatorRules().equals(now.operatorRules())
                    && !next.operatorRules().isEmpty()) {
                List<String> errors = postgres.client().hbaFileErrors();
                if (!errors.isEmpty()) {
                    refuseOperatorRules(next.operatorRules(), errors);
                    next = next.withOperatorRules(now.operatorRules());
                    files.access(next);
                    files.writeHba();
                }
            }
            postgres.client().reload();
            log.info(
                    "pg_hba.conf updated: replication over TLS from {} member address(es), TLS required of {} "
                            + "superuser(s) off loopback",
                    next.memberAddresses().size(),
                    next.superusers().size());
            lastFailure = null;
        } catch (IOException | SQLException e) {
            files.access(now); // try again on the next heartbeat
            if (!Objects.equals(lastFailure, e.getMessage())) {
                log.warn("cannot update pg_hba.conf yet: {}", e.getMessage());
            }
            lastFailure = e.getMessage();
        }
    }

    /** What the status says while operator rules are set aside (null: nothing). */
    String notice() {
        return notice;
    }

    /** The operator's pg_hba rules from the spec, checked again: the store proves only that someone could write. */
    private List<String> operatorRules(ClusterSnapshot s) {
        List<String> rules = new ArrayList<>();
        List<String> skipped = new ArrayList<>();
        for (String rule : s.spec().hbaRules()) {
            Optional<String> refusal = HbaRules.refusal(rule);
            if (refusal.isPresent()) {
                skipped.add(refusal.get());
            } else if (rules.size() < HbaRules.MAX_RULES) {
                rules.add(rule.strip());
            }
        }
        if (!skipped.equals(warnedSkipped)) {
            warnedSkipped = skipped;
            skipped.forEach(why -> log.warn("pg_hba rule from the cluster store skipped: {}", why));
        }
        return rules;
    }

    private void refuseOperatorRules(List<String> rules, List<String> errors) {
        refusedRules = rules;
        notice = "pg_hba rules from pgha config hba not applied: postgres refused them (" + String.join("; ", errors)
                + "); fix or remove them (pgha config hba list)";
        log.error("{}", notice);
    }

    /** The IP addresses of every registered member (names as last resolved, off this thread). */
    Set<String> memberAddresses(ClusterSnapshot s) {
        return addresses.of(s.members().values().stream().map(MemberInfo::host).toList());
    }

    @Override
    public void close() {
        addresses.close();
    }
}
