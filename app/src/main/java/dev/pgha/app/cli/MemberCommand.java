package dev.pgha.app.cli;

import dev.pgha.common.PghaException;
import dev.pgha.common.model.MemberInfo;
import dev.pgha.common.store.ClusterSnapshot;
import dev.pgha.common.store.EnsembleChangeException;
import dev.pgha.common.store.StoreEnsemble;
import java.io.PrintWriter;
import java.util.List;
import java.util.Optional;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(
        name = "member",
        mixinStandardHelpOptions = true,
        description = "Change the cluster's membership.",
        subcommands = {MemberCommand.Remove.class})
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
            MemberInfo info = snapshot.member(member)
                    .orElseThrow(() -> new PghaException("no member " + member + " is registered; members: "
                            + String.join(", ", snapshot.members().keySet())));
            String summary = "";
            for (int attempt = 1; ; attempt++) {
                Optional<StoreEnsemble> ensemble = admin.store().ensemble();
                MemberRemoval plan = MemberRemoval.plan(
                        member, admin.store().snapshot().view().leader(), info.storeServer(), ensemble, force);
                if (attempt == 1) {
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
            admin.store().removeMember(member);
            report(
                    out,
                    "removed " + member + summary
                            + "; its node stops serving and the leader drops its replication slot",
                    "removed",
                    member);
        }
    }
}
