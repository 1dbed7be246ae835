package dev.pgha.store;

import java.util.List;
import org.apache.curator.framework.CuratorFramework;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.data.ACL;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Puts the cluster's ACL on every znode it has that lacks it: a cluster created by a version of pgha without store
 * authentication has world-writable znodes, and its first start on this version closes them, once, with a log line.
 * Nodes that disappear meanwhile (ephemerals of a member going away) are skipped.
 */
final class AclMigration {
    private static final Logger log = LoggerFactory.getLogger(AclMigration.class);

    private AclMigration() {}

    static void run(CuratorFramework client, String root, ZooKeeperAuth auth) {
        List<ACL> acl = auth.acl();
        int changed;
        try {
            try {
                if (acl.equals(client.getACL().forPath(root))) {
                    return; // closed already: the root is closed last, so everything below it is too
                }
            } catch (KeeperException.NoNodeException e) {
                return; // a new cluster: every znode is created with the ACL
            }
            changed = close(client, root, acl);
        } catch (Exception e) {
            throw new IllegalStateException("cannot set the access control of " + root + ": " + e.getMessage(), e);
        }
        if (changed > 0) {
            log.info(
                    "store: {} znode(s) of {} were open to any ZooKeeper client (created by a pgha version without store "
                            + "authentication); they now belong to {} only",
                    changed,
                    root,
                    auth.user());
        }
    }

    /** Children before their parent: a migration cut short is completed by the next connect. */
    private static int close(CuratorFramework client, String path, List<ACL> acl) throws Exception {
        int changed = 0;
        try {
            for (String child : client.getChildren().forPath(path)) {
                changed += close(client, path + "/" + child, acl);
            }
            if (!acl.equals(client.getACL().forPath(path))) {
                client.setACL().withACL(acl).forPath(path);
                changed++;
            }
        } catch (KeeperException.NoNodeException e) {
            // gone meanwhile (an ephemeral of a member going away): nothing to protect
        }
        return changed;
    }
}
