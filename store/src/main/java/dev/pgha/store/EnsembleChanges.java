package dev.pgha.store;

import dev.pgha.common.config.ZkPeer;
import dev.pgha.common.store.EnsembleChangeException;
import dev.pgha.common.store.EnsembleChangeException.Kind;
import dev.pgha.common.store.StoreEnsemble;
import dev.pgha.common.store.StoreException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import org.apache.curator.framework.CuratorFramework;
import org.apache.zookeeper.KeeperException;

/** Reads and changes ZooKeeper's own servers (dynamic reconfiguration, {@code /zookeeper/config}). */
final class EnsembleChanges {
    private EnsembleChanges() {}

    static Optional<StoreEnsemble> read(CuratorFramework client) {
        try {
            byte[] data = client.getConfig().forEnsemble();
            if (data == null || data.length == 0) {
                return Optional.empty(); // a standalone server has no ensemble
            }
            StoreEnsemble ensemble = StoreEnsemble.parse(new String(data, StandardCharsets.UTF_8));
            return ensemble.servers().isEmpty() ? Optional.empty() : Optional.of(ensemble);
        } catch (KeeperException.NoNodeException e) {
            return Optional.empty();
        } catch (IllegalArgumentException e) {
            throw new StoreException("cannot read the store's servers", e);
        } catch (Exception e) {
            throw new StoreException("cannot read the store's servers", e);
        }
    }

    static StoreEnsemble change(CuratorFramework client, List<ZkPeer> joining, List<Integer> leaving, long from) {
        List<String> joiners = joining.stream()
                .map(s -> "server." + s.id() + "=" + (s.clientPort() > 0 ? s.serverLine() : s.quorumAddresses()))
                .toList();
        List<String> leavers = leaving.stream().map(String::valueOf).toList();
        try {
            byte[] data = client.reconfig()
                    .joining(joiners.isEmpty() ? null : joiners)
                    .leaving(leavers.isEmpty() ? null : leavers)
                    .fromConfig(from)
                    .forEnsemble();
            return StoreEnsemble.parse(new String(data, StandardCharsets.UTF_8));
        } catch (KeeperException.BadVersionException e) {
            throw new EnsembleChangeException(Kind.CONFLICT, "the store's servers changed meanwhile");
        } catch (KeeperException.NewConfigNoQuorum e) {
            throw new EnsembleChangeException(
                    Kind.NO_QUORUM, "a majority of the new set of voters is not connected to the store's leader");
        } catch (KeeperException.ReconfigInProgress e) {
            throw new EnsembleChangeException(Kind.IN_PROGRESS, "another change of the store's servers is under way");
        } catch (KeeperException.ReconfigDisabledException | KeeperException.UnimplementedException e) {
            throw new EnsembleChangeException(
                    Kind.UNSUPPORTED,
                    "the store does not change its servers (ZooKeeper without reconfigEnabled, or standalone)");
        } catch (KeeperException.NoAuthException e) {
            throw new EnsembleChangeException(
                    Kind.FAILED,
                    "the store refused to change its servers: an external ZooKeeper must make pgha's user its super"
                            + " user (zookeeper.superUser) for that");
        } catch (KeeperException e) {
            throw new EnsembleChangeException(
                    Kind.FAILED,
                    "cannot change the store's servers: " + e.code().name().toLowerCase());
        } catch (Exception e) {
            throw new StoreException("cannot change the store's servers", e);
        }
    }
}
