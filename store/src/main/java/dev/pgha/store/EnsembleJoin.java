package dev.pgha.store;

import dev.pgha.common.PghaException;
import dev.pgha.common.config.Durations;
import dev.pgha.common.config.ZkPeer;
import dev.pgha.common.fs.PrivateFiles;
import dev.pgha.common.store.EnsembleChangeException;
import dev.pgha.common.store.StoreEnsemble;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Adds this node's server to a running embedded ensemble (PGHA_JOIN): it reads the ensemble through any member's
 * ZooKeeper, starts its own server with that ensemble plus itself (it syncs as a learner that does not vote yet),
 * then asks the ensemble to take it in, as a voter while there are fewer than the wanted voters, else as an
 * observer. The change names the configuration it was decided on, so two nodes joining at once cannot take the same
 * id: the second one reads again and starts over.
 */
public final class EnsembleJoin {
    private static final Logger log = LoggerFactory.getLogger(EnsembleJoin.class);
    private static final int ATTEMPTS = 5;
    private static final Duration PAUSE = Duration.ofMillis(50); // a join waits on it: ask again soon

    private EnsembleJoin() {}

    /**
     * @param via    a store client connected through the member named by PGHA_JOIN
     * @param self   this node's server (its id is chosen here)
     * @param voters how many voters the ensemble should have
     * @param mustVote a witness: it joins as a voter or not at all (an observer would add nothing)
     * @param within how long the ensemble may take to accept this server once it runs
     * @return this node's running server, a member of the ensemble; null when {@code abandon} said stop
     */
    public static ZooKeeperPeer join(
            ZooKeeperStore via,
            String joinAddress,
            Path dir,
            ZkPeer self,
            int voters,
            boolean mustVote,
            Duration tickTime,
            ZooKeeperAuth auth,
            Duration within,
            BooleanSupplier abandon) {
        if (new PeerFiles(dir).standaloneData()) {
            throw new PghaException("PGHA_JOIN: " + dir + " holds the store of a cluster of its own (this node ran "
                    + "alone before); a node joins with an empty data directory: unset PGHA_JOIN to start it as it "
                    + "was, or empty its data directory to join");
        }
        forget(dir); // what an interrupted earlier attempt synced
        for (int attempt = 1; attempt <= ATTEMPTS; attempt++) {
            StoreEnsemble ensemble = via.ensemble()
                    .orElseThrow(() -> new PghaException("PGHA_JOIN: the ZooKeeper at " + joinAddress
                            + " has no ensemble to join (a standalone server: is it an external ZooKeeper, or a "
                            + "node of an older pgha? upgrade it first)"));
            reachable(joinAddress, ensemble, self);
            ZkPeer known = ensemble.serverAt(self.host(), self.peerPort()).orElse(null);
            int id = known != null ? known.id() : ensemble.nextId(via.retiredStoreServers());
            boolean observer =
                    known != null ? known.observer() : ensemble.voters().size() >= voters;
            if (observer && mustVote) {
                throw new PghaException("PGHA_JOIN: a witness only adds a vote, and the ensemble at " + joinAddress
                        + " has " + ensemble.voters().size() + " voters already (cluster.voters = " + voters
                        + ", PGHA_VOTERS): remove a member first, or start this witness with PGHA_VOTERS=5 when the "
                        + "ensemble has fewer than 5");
            }
            ZkPeer me = new ZkPeer(
                    id,
                    self.host(),
                    self.peerPort(),
                    self.electionPort(),
                    self.clientHost(),
                    self.clientPort(),
                    observer);
            List<ZkPeer> servers = new ArrayList<>(ensemble.servers());
            servers.removeIf(s -> s.id() == id);
            servers.add(me);
            ZooKeeperPeer peer = ZooKeeperPeer.start(dir, servers, id, tickTime, auth);
            if (me.equals(known)) {
                log.info("this node's ZooKeeper server {} is already in the ensemble", id);
                return peer;
            }
            log.info(
                    "joining the ensemble of {} servers through {} as server {} ({})",
                    ensemble.servers().size(),
                    joinAddress,
                    id,
                    observer ? "an observer: it has " + ensemble.voters().size() + " voters" : "a voter");
            Outcome outcome;
            try {
                outcome = admit(via, me, ensemble.version(), within, abandon);
            } catch (RuntimeException e) {
                peer.close(); // refused: nothing of this node stays in the ensemble's way
                throw e;
            }
            if (outcome == Outcome.ADMITTED) {
                log.info("this node's ZooKeeper server {} is a member of the ensemble now", id);
                return peer;
            }
            peer.close();
            if (outcome == Outcome.ABANDONED) {
                return null;
            }
            forget(dir); // another node took this id meanwhile: what this server synced belongs to no one
        }
        throw new PghaException("PGHA_JOIN: the ensemble at " + joinAddress + " changed " + ATTEMPTS
                + " times while this node joined; start it again");
    }

    /**
     * Servers on loopback addresses reach only their own machine: joining across machines with one is refused with
     * what to set, instead of a join that waits for a connection that cannot happen.
     */
    static void reachable(String joinAddress, StoreEnsemble ensemble, ZkPeer self) {
        boolean remote =
                !loopback(joinAddress.replaceAll(":\\d+$", "").replace("[", "").replace("]", ""));
        if (!remote) {
            return; // all on this machine (tests, a trial)
        }
        if (loopback(self.host())) {
            throw new PghaException("PGHA_JOIN: this node's ZooKeeper would listen on " + self.host() + ", which the "
                    + "members at " + joinAddress + " cannot reach: set PGHA_ADVERTISE_HOST (or PGHA_ZK_HOST) to this "
                    + "node's address");
        }
        ensemble.servers().stream().filter(s -> loopback(s.host())).findFirst().ifPresent(s -> {
            throw new PghaException("PGHA_JOIN: the member at " + joinAddress + " runs its ZooKeeper on " + s.host()
                    + " only (it was started without PGHA_ADVERTISE_HOST): restart it once with PGHA_ADVERTISE_HOST "
                    + "set to its address, then join");
        });
    }

    private static boolean loopback(String host) {
        return host.equals("localhost") || host.startsWith("127.") || host.equals("::1");
    }

    private enum Outcome {
        ADMITTED,
        CONFLICT,
        ABANDONED
    }

    private static Outcome admit(
            ZooKeeperStore via, ZkPeer me, long fromVersion, Duration within, BooleanSupplier abandon) {
        long deadline = System.nanoTime() + within.toNanos();
        String last = "";
        while (true) {
            try {
                via.changeEnsemble(List.of(me), List.of(), fromVersion);
                return Outcome.ADMITTED;
            } catch (EnsembleChangeException e) {
                switch (e.kind()) {
                    case CONFLICT -> {
                        return Outcome.CONFLICT;
                    }
                    case NO_QUORUM, IN_PROGRESS -> last = e.getMessage();
                    default -> throw new PghaException("PGHA_JOIN: " + e.getMessage());
                }
            }
            if (abandon.getAsBoolean()) {
                return Outcome.ABANDONED;
            }
            if (System.nanoTime() > deadline) {
                throw new PghaException("PGHA_JOIN: the ensemble did not take this node's ZooKeeper server "
                        + me.id() + " in within " + Durations.format(within) + " (" + last
                        + "): check that the members reach " + me.host() + " on ports " + me.peerPort() + " and "
                        + me.electionPort() + " (PGHA_ZK_PEER_PORT, PGHA_ZK_ELECTION_PORT)");
            }
            try {
                Thread.sleep(PAUSE.toMillis());
            } catch (InterruptedException ie) {
                Thread.currentThread().interrupt();
                return Outcome.ABANDONED;
            }
        }
    }

    private static void forget(Path dir) {
        try {
            PrivateFiles.deleteContents(dir);
        } catch (IOException e) {
            throw new PghaException("cannot empty " + dir + " to join again: " + e.getMessage());
        }
    }
}
