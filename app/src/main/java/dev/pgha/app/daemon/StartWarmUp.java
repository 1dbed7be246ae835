package dev.pgha.app.daemon;

import dev.pgha.common.model.Json;
import dev.pgha.net.Transport;
import dev.pgha.store.ZooKeeperPeer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sets up, on threads of their own, what the daemon's start needs later and what each library sets up once per JVM
 * and slowly (class initialisations that build the JDK's default TLS context, load a native library, read locale
 * data), while the main thread parses the command line and the configuration and checks the node: most of a start
 * runs on one thread, and the machine's other core idles meanwhile. A piece the start reaches first is done by the
 * start as before (the JVM lets one thread initialise a class while the others wait for it): nothing here changes
 * what the start does, only when the work is done. Each thread runs its pieces in the order the start needs them
 * and ends.
 */
public final class StartWarmUp {
    private static final Logger log = LoggerFactory.getLogger(StartWarmUp.class);

    private StartWarmUp() {}

    /** What every daemon needs: the JSON mapping (the secrets, the store's records), then its listeners' transport. */
    public static void begin() {
        inBackground(
                new Piece("the JSON mapping", Json::mapper), new Piece("the network transport", Transport::warmUp));
    }

    /** What an embedded ZooKeeper server needs: begun once the configuration says the node runs one. */
    static void embeddedStore() {
        inBackground(new Piece("the embedded ZooKeeper server", ZooKeeperPeer::warmUp));
    }

    private record Piece(String what, Work work) {}

    private interface Work {
        void run() throws Exception;
    }

    private static void inBackground(Piece... pieces) {
        Thread thread = new Thread(
                () -> {
                    for (Piece piece : pieces) {
                        try {
                            piece.work().run();
                        } catch (Exception | LinkageError e) {
                            // the start meets it again where it needs the piece, and reports it there
                            log.warn("warming up {} failed: {}", piece.what(), e.toString());
                        }
                    }
                },
                "start-warm-up");
        thread.setDaemon(true);
        thread.start();
    }
}
