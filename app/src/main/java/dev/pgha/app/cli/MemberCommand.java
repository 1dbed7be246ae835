package dev.pgha.app.cli;

import dev.pgha.common.PghaException;
import dev.pgha.common.model.ClusterSpec;
import dev.pgha.common.model.MemberInfo;
import dev.pgha.common.model.MemberTags;
import dev.pgha.common.store.ClusterSnapshot;
import dev.pgha.common.store.EnsembleChangeException;
import dev.pgha.common.store.StoreEnsemble;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(
        name = "member",
        mixinStandardHelpOptions = true,
        description = "Change the cluster's membership.",
        subcommands = {MemberCommand.Remove.class, MemberCommand.Tag.class})
public final class MemberCommand extends AdminCommand.Group {

    @Command(
            name = "remove",
            mixinStandardHelpOptions = true,
            description = {
                "Remove a member for good: its server leaves the store's ZooKeeper ensemble, its registration and its "
                        + "replication slot go, and the node, if it still runs, stops serving and says why.",
                "Refuses the leader (switch over first) and a removal that leaves the store an even or too small "
                        + "set of voters (--force). To replace a dead node: remove it, then start a fresh node with "
                        + "PGHA_JOIN."
            })
    public static final class Remove extends AdminCommand {
        @Parameters(index = "0", paramLabel = "MEMBER", description = "The member to remove.")
        String member;

        @Option(
                names = "--force",
                description = "Remove it even when the store is left with an even or too small set of voters.")
        boolean force;

        @Override
        void run(Admin admin, PrintWriter out) {
            ClusterSnapshot snapshot = admin.store().snapshot();
            Integer witnessServer = snapshot.member(member).isEmpty()
                    ? admin.store().registeredWitnesses().get(member)
                    : null;
            int storeServer = witnessServer != null
                    ? witnessServer
                    : registered(snapshot, admin.store().registeredWitnesses().keySet(), member)
                            .storeServer();
            String summary = "";
            MemberRemoval first = null;
            for (int attempt = 1; ; attempt++) {
                Optional<StoreEnsemble> ensemble = admin.store().ensemble();
                if (first != null
                        && first.leaving().isPresent()
                        && gone(ensemble, first.leaving().get())) {
                    // the earlier attempt's change went through, but its answer was lost (the removed node stops at
                    // the same time, and a client that lost its server sends the change again: CONFLICT)
                    admin.store().retireStoreServer(first.leaving().get());
                    summary = "; " + first.summary();
                    break;
                }
                MemberRemoval plan = MemberRemoval.plan(
                        member, admin.store().snapshot().view().leader(), storeServer, ensemble, force);
                if (attempt == 1) {
                    first = plan;
                    admin.store().markRemoved(member); // from now on the node stops, and does not start again
                }
                if (plan.leaving().isEmpty()) {
                    break;
                }
                try {
                    admin.store()
                            .changeEnsemble(
                                    plan.joining(),
                                    List.of(plan.leaving().get()),
                                    ensemble.get().version());
                    admin.store().retireStoreServer(plan.leaving().get());
                    summary = "; " + plan.summary();
                    break;
                } catch (EnsembleChangeException e) {
                    if (e.kind() != EnsembleChangeException.Kind.CONFLICT || attempt == 3) {
                        throw new PghaException("cannot remove member " + member + "'s ZooKeeper server: "
                                + e.getMessage() + " (its removal is recorded: run the command again)");
                    }
                }
            }
            if (witnessServer != null) {
                admin.store().removeWitness(member);
                report(out, "removed witness " + member + summary + "; its node stops", "removed", member);
                return;
            }
            admin.store().removeMember(member);
            if (admin.store().snapshot().spec().memberTags().containsKey(member)) {
                SpecUpdate.apply(admin.store(), spec -> spec.withMemberTags(without(spec.memberTags(), member)));
            }
            report(
                    out,
                    "removed " + member + summary
                            + "; its node stops serving and the leader drops its replication slot",
                    "removed",
                    member);
        }
    }

    private static boolean gone(Optional<StoreEnsemble> ensemble, int server) {
        return ensemble.isPresent() && ensemble.get().server(server).isEmpty();
    }

    private static MemberInfo registered(ClusterSnapshot snapshot, String member) {
        return registered(snapshot, Set.of(), member);
    }

    private static MemberInfo registered(ClusterSnapshot snapshot, Set<String> witnesses, String member) {
        return snapshot.member(member)
                .orElseThrow(() -> new PghaException("no member " + member + " is registered; members: "
                        + String.join(", ", snapshot.members().keySet())
                        + (witnesses.isEmpty() ? "" : "; witnesses: " + String.join(", ", new TreeSet<>(witnesses)))));
    }

    private static Map<String, String> without(Map<String, String> tags, String member) {
        Map<String, String> rest = new TreeMap<>(tags);
        rest.remove(member);
        return rest;
    }

    @Command(
            name = "tag",
            mixinStandardHelpOptions = true,
            description = {
                "Set a member's tags at runtime, over its PGHA_TAGS: nofailover, nosync, noloadbalance, cloneFrom (true "
                        + "or false), failoverPriority (0-1000). TAG= removes what this command set, so PGHA_TAGS "
                        + "applies again.",
                "Without TAG=VALUE, shows the member's tags. Its keeper applies a change within a heartbeat; the "
                        + "sentinel and the proxies act on it from there."
            })
    public static final class Tag extends AdminCommand {
        @Parameters(index = "0", paramLabel = "MEMBER", description = "The member to tag.")
        String member;

        @Parameters(
                index = "1..*",
                arity = "0..*",
                paramLabel = "TAG=VALUE",
                description = "A tag and its value, e.g. nosync=true; TAG= removes it.")
        List<String> changes = new ArrayList<>();

        @Override
        void validate() {
            for (String change : changes) {
                int eq = change.indexOf('=');
                if (eq <= 0) {
                    throw new PghaException(
                            "\"" + change + "\" is not TAG=VALUE (e.g. nosync=true, or nosync= to remove it)");
                }
                if (eq < change.length() - 1) {
                    try {
                        MemberTags.parse(change);
                    } catch (IllegalArgumentException e) {
                        throw new PghaException(change + ": " + e.getMessage());
                    }
                } else if (!MemberTags.NAMES.contains(change.substring(0, eq))) {
                    throw new PghaException(change + ": unknown tag " + change.substring(0, eq) + "; tags: "
                            + String.join(", ", MemberTags.NAMES));
                }
            }
        }

        @Override
        void run(Admin admin, PrintWriter out) {
            ClusterSnapshot snapshot = admin.store().snapshot();
            registered(snapshot, member);
            ClusterSpec spec = changes.isEmpty()
                    ? snapshot.spec()
                    : SpecUpdate.apply(admin.store(), s -> s.withMemberTags(changed(s.memberTags())));
            String set = spec.memberTags().getOrDefault(member, "");
            String published =
                    snapshot.keeper(member).map(k -> k.tags().describe()).orElse("");
            report(
                    out,
                    member + ": set by pgha member tag: " + (set.isEmpty() ? "none" : set)
                            + (changes.isEmpty()
                                    ? "; in effect: " + (published.isEmpty() ? "none" : published)
                                    : "; its keeper applies them within a heartbeat"),
                    "member",
                    member,
                    "set",
                    set,
                    "in_effect",
                    published);
        }

        private Map<String, String> changed(Map<String, String> all) {
            Map<String, String> tags = new TreeMap<>();
            String current = all.get(member);
            if (current != null) {
                for (String part : current.split(",")) {
                    int eq = part.indexOf('=');
                    if (eq > 0) {
                        tags.put(part.substring(0, eq), part.substring(eq + 1));
                    }
                }
            }
            for (String change : changes) {
                int eq = change.indexOf('=');
                String value = change.substring(eq + 1);
                if (value.isEmpty()) {
                    tags.remove(change.substring(0, eq));
                } else {
                    tags.put(change.substring(0, eq), value);
                }
            }
            Map<String, String> next = new TreeMap<>(all);
            if (tags.isEmpty()) {
                next.remove(member);
            } else {
                next.put(
                        member,
                        tags.entrySet().stream()
                                .map(e -> e.getKey() + "=" + e.getValue())
                                .collect(Collectors.joining(",")));
            }
            return next;
        }
    }
}
