package dev.pgha.app.daemon;

import dev.pgha.common.config.PghaConfig;
import dev.pgha.common.secret.Credentials;
import dev.pgha.common.secret.SecretStore;
import dev.pgha.keeper.Keeper;
import dev.pgha.proxy.ProxyServer;
import dev.pgha.proxy.Route;
import java.io.IOException;
import java.util.Optional;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Says once that clients are routed to a serving leader (again after each change of leader); the first time ever,
 * it also shows the generated credentials, on the console (stderr), never in the log stream (stdout), which is
 * shipped and kept.
 */
final class Readiness {
    private static final Logger log = LoggerFactory.getLogger(Readiness.class);

    private final String memberId;
    private final PghaConfig config;
    private final Credentials credentials;
    private final SecretStore secrets;
    private final ProxyServer proxy;
    private final Supplier<Keeper> keeper;
    private Route announced;

    Readiness(
            String memberId,
            PghaConfig config,
            Credentials credentials,
            SecretStore secrets,
            ProxyServer proxy,
            Supplier<Keeper> keeper) {
        this.memberId = memberId;
        this.config = config;
        this.credentials = credentials;
        this.secrets = secrets;
        this.proxy = proxy;
        this.keeper = keeper;
    }

    /** Called when the proxy's route or the keeper's state changes. */
    synchronized void check() {
        Optional<Route> route = proxy.currentRoute();
        Keeper k = keeper.get();
        boolean local = route.isPresent() && route.get().leader().equals(memberId);
        boolean ready = route.isPresent() && (!local || (k != null && k.serving()));
        if (!ready || route.get().equals(announced)) {
            return;
        }
        announced = route.get();
        if (local && !credentials.generated().isEmpty() && !secrets.shown()) {
            if (!config.secrets().showCredentials()) {
                log.info(
                        "generated credentials are not shown (PGHA_SHOW_CREDENTIALS=false): they are in {}",
                        secrets.file());
            } else {
                System.err.print(CredentialsBanner.render(
                        config.clusterName(),
                        credentials,
                        config.proxy().port(),
                        config.postgres().port(),
                        secrets.file()));
                System.err.flush();
            }
            try {
                secrets.markShown();
            } catch (IOException e) {
                log.warn("cannot record that the credentials were shown; they will be shown again: {}", e.getMessage());
            }
        }
        log.info(
                "ready: clients connect to port {} (leader {})",
                config.proxy().port(),
                route.get().leader());
    }
}
