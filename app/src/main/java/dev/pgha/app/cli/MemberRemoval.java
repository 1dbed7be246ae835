package dev.pgha.app.cli;

import dev.pgha.common.PghaException;
import dev.pgha.common.config.ZkPeer;
import dev.pgha.common.store.StoreEnsemble;
import java.util.List;
import java.util.Optional;

/**
 * What `pgha member remove` changes in the store's ensemble, decided from what it read (a pure rule, table-tested):
 * the member's server leaves; an observer is made a voter in its place when one is there; the leader and a removal
 * that leaves an even or too small set of voters are refused unless forced.
 *
 * @param leaving the server to remove from the ensemble (empty: the member runs none, e.g. an external store)
 * @param joining observers made voters in the same change
 */
record MemberRemoval(Optional<Integer> leaving, List<ZkPeer> joining, String summary) {

    static MemberRemoval plan(
            String member, String leader, int storeServer, Optional<StoreEnsemble> ensemble, boolean force) {
        if (member.equals(leader)) {
            throw new PghaException("member " + member + " leads the cluster: switch over first (pgha switchover --to "
                    + "ANOTHER), then remove it");
        }
        Optional<ZkPeer> server = ensemble.flatMap(e -> e.server(storeServer));
        if (storeServer == 0 || server.isEmpty()) {
            return new MemberRemoval(Optional.empty(), List.of(), "");
        }
        StoreEnsemble e = ensemble.get();
        if (server.get().observer()) {
            return new MemberRemoval(
                    Optional.of(storeServer), List.of(), "its ZooKeeper observer " + storeServer + " leaves");
        }
        Optional<ZkPeer> replacement = e.observers().stream().findFirst();
        if (replacement.isPresent()) {
            return new MemberRemoval(
                    Optional.of(storeServer),
                    List.of(replacement.get().withObserver(false)),
                    "its ZooKeeper voter " + storeServer + " leaves; observer "
                            + replacement.get().id() + " votes in its place");
        }
        int left = e.voters().size() - 1;
        if (!force && (left < 3 || left % 2 == 0)) {
            throw new PghaException("removing member " + member + " leaves the store with " + left + " voter"
                    + (left == 1 ? "" : "s") + ": " + risk(left) + "; add a node first (PGHA_JOIN), or pass "
                    + "--force to remove it anyway");
        }
        return new MemberRemoval(
                Optional.of(storeServer),
                List.of(),
                "its ZooKeeper voter " + storeServer + " leaves (" + left + " voters left)");
    }

    private static String risk(int voters) {
        if (voters <= 1) {
            return "the store then stops whenever that one node does";
        }
        if (voters == 2) {
            return "2 voters stop the store when either one fails, which is worse than 1";
        }
        return voters + " voters survive no more failures than " + (voters - 1);
    }
}
