package dev.pgha.store;

import dev.pgha.common.PghaException;
import dev.pgha.common.fs.PrivateFiles;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;
import org.apache.zookeeper.ClientCnxnSocketNetty;
import org.apache.zookeeper.client.ZKClientConfig;
import org.apache.zookeeper.server.NettyServerCnxnFactory;
import org.apache.zookeeper.server.auth.ProviderRegistry;
import org.apache.zookeeper.server.auth.X509AuthenticationProvider;

/**
 * Mutual TLS for ZooKeeper's client and quorum connections, from the operator's PEM files. ZooKeeper reads a PEM
 * "key store" as one file holding the private key and the certificate chain: that file is written once per start,
 * mode 0600, into pgha's private state directory; the CA file is its trust store.
 */
public final class ZooKeeperTls {
    private static final String PEM = "PEM";

    private final Path keyStore;
    private final Path trustStore;

    private ZooKeeperTls(Path keyStore, Path trustStore) {
        this.keyStore = keyStore;
        this.trustStore = trustStore;
    }

    /** Combines {@code key} and {@code cert} into {@code stateDir}/zookeeper-tls.pem. */
    public static ZooKeeperTls prepare(Path cert, Path key, Path ca, Path stateDir) {
        Path combined = stateDir.resolve("zookeeper-tls.pem");
        try {
            ByteArrayOutputStream pem = new ByteArrayOutputStream();
            pem.write(Files.readAllBytes(key));
            pem.write('\n');
            pem.write(Files.readAllBytes(cert));
            PrivateFiles.write(combined, pem.toByteArray());
        } catch (IOException e) {
            // the message names files only: never their content
            throw new PghaException("cannot prepare ZooKeeper's TLS key store " + combined + " from " + key + " and "
                    + cert + ": " + e.getClass().getSimpleName());
        }
        return new ZooKeeperTls(combined, ca);
    }

    void configureClient(ZKClientConfig config) {
        config.setProperty(ZKClientConfig.SECURE_CLIENT, "true");
        config.setProperty(ZKClientConfig.ZOOKEEPER_CLIENT_CNXN_SOCKET, ClientCnxnSocketNetty.class.getName());
        config.setProperty("zookeeper.ssl.keyStore.location", keyStore.toString());
        config.setProperty("zookeeper.ssl.keyStore.type", PEM);
        config.setProperty("zookeeper.ssl.trustStore.location", trustStore.toString());
        config.setProperty("zookeeper.ssl.trustStore.type", PEM);
    }

    /** Servers read these when they start (ZooKeeper takes server TLS settings from system properties). */
    void configureServers() {
        System.setProperty("zookeeper.serverCnxnFactory", NettyServerCnxnFactory.class.getName());
        System.setProperty("zookeeper.ssl.keyStore.location", keyStore.toString());
        System.setProperty("zookeeper.ssl.keyStore.type", PEM);
        System.setProperty("zookeeper.ssl.trustStore.location", trustStore.toString());
        System.setProperty("zookeeper.ssl.trustStore.type", PEM);
        // the TLS server checks each client's certificate through its "x509" provider, which reads the above
        String x509 = ProviderRegistry.AUTHPROVIDER_PROPERTY_PREFIX + "x509";
        System.setProperty(x509, X509AuthenticationProvider.class.getName());
        ProviderRegistry.addOrUpdateProvider(x509);
    }

    void configureQuorum(Properties peerConfig) {
        peerConfig.setProperty("sslQuorum", "true");
        peerConfig.setProperty("ssl.quorum.keyStore.location", keyStore.toString());
        peerConfig.setProperty("ssl.quorum.keyStore.type", PEM);
        peerConfig.setProperty("ssl.quorum.trustStore.location", trustStore.toString());
        peerConfig.setProperty("ssl.quorum.trustStore.type", PEM);
    }
}
