package dev.pgha.store;

import dev.pgha.common.secret.Secret;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import javax.security.auth.login.AppConfigurationEntry;
import javax.security.auth.login.Configuration;
import org.apache.curator.framework.api.ACLProvider;
import org.apache.zookeeper.ZooDefs;
import org.apache.zookeeper.client.ZKClientConfig;
import org.apache.zookeeper.data.ACL;
import org.apache.zookeeper.data.Id;
import org.apache.zookeeper.server.auth.ProviderRegistry;
import org.apache.zookeeper.server.auth.SASLAuthenticationProvider;

/**
 * pgha's identity at ZooKeeper: SASL DIGEST-MD5 as user {@code pgha-<cluster>} with the cluster's store secret, and
 * the ACL that gives that identity, and nobody else, access to the cluster's znodes.
 *
 * <p>Why SASL DIGEST-MD5 rather than ZooKeeper's "digest" scheme: digest sends the secret itself in its addAuth
 * packet, readable by anyone on the path when the client port has no TLS; DIGEST-MD5 is a challenge-response, so the
 * secret never crosses the wire. It is also what quorum authentication speaks, so one mechanism covers both.
 *
 * <p>Java reads JAAS login configuration JVM-wide; this class installs one {@link Configuration} that holds the
 * sections pgha registers (a client section per identity, and the server sections of embedded servers) and passes
 * every other name to the configuration that was there before.
 */
public final class ZooKeeperAuth {
    static final String SCHEME = "sasl";
    private static final String LOGIN_MODULE = "org.apache.zookeeper.server.auth.DigestLoginModule";
    private static final String SERVER_SECTION = "Server";
    private static final String QUORUM_SERVER_SECTION = "QuorumServer";
    private static final String QUORUM_LEARNER_SECTION = "QuorumLearner";

    private final String user;
    private final Secret secret;
    private final ZooKeeperTls tls; // null: plain TCP

    public ZooKeeperAuth(String cluster, Secret secret) {
        this("pgha-" + cluster, secret, null);
    }

    private ZooKeeperAuth(String user, Secret secret, ZooKeeperTls tls) {
        this.user = user;
        this.secret = secret;
        this.tls = tls;
    }

    /** The same identity, over mutual TLS (client connections and, for embedded peers, the quorum). */
    public ZooKeeperAuth withTls(ZooKeeperTls tls) {
        return new ZooKeeperAuth(user, secret, tls);
    }

    /** Connections use TLS. */
    boolean secure() {
        return tls != null;
    }

    /** The SASL user name this cluster authenticates as (an external ensemble's JAAS Server section lists it). */
    public String user() {
        return user;
    }

    Id id() {
        return new Id(SCHEME, user);
    }

    /** Every permission to this cluster's identity only (a mutable list: ZooKeeper asks it whether it holds null). */
    List<ACL> acl() {
        return new ArrayList<>(List.of(new ACL(ZooDefs.Perms.ALL, id())));
    }

    /**
     * The cluster's znodes get {@link #acl()}. The shared parent (/pgha) stays readable, and open to creating the
     * znode of another cluster that shares an external ensemble; it cannot be used to touch this cluster's data.
     */
    ACLProvider aclProvider(String clusterRoot) {
        List<ACL> own = acl();
        List<ACL> parent = new ArrayList<>(List.of(
                new ACL(ZooDefs.Perms.ALL, id()),
                new ACL(ZooDefs.Perms.READ | ZooDefs.Perms.CREATE, ZooDefs.Ids.ANYONE_ID_UNSAFE)));
        return new ACLProvider() {
            @Override
            public List<ACL> getDefaultAcl() {
                return own;
            }

            @Override
            public List<ACL> getAclForPath(String path) {
                return path.equals(clusterRoot) || path.startsWith(clusterRoot + "/") ? own : parent;
            }
        };
    }

    /** A ZooKeeper client configuration that authenticates as this identity (public for tests' plain clients). */
    public ZKClientConfig clientConfig() {
        String section = "pgha-client-" + user + "-" + fingerprint();
        Jaas.INSTANCE.put(section, entry(Map.of("username", user, "password", secret.reveal())));
        ZKClientConfig config = new ExplicitClientConfig();
        config.setProperty(ZKClientConfig.ENABLE_CLIENT_SASL_KEY, "true");
        config.setProperty(ZKClientConfig.LOGIN_CONTEXT_NAME_KEY, section);
        if (tls != null) {
            tls.configureClient(config);
        }
        return config;
    }

    /**
     * Makes the ZooKeeper servers this JVM starts from now on accept this identity, and refuse any session that has
     * not authenticated with SASL. Servers read this when they start.
     */
    public void configureServers() {
        Jaas.INSTANCE.addServerUser(user, secret);
        System.setProperty(
                ProviderRegistry.AUTHPROVIDER_PROPERTY_PREFIX + SCHEME, SASLAuthenticationProvider.class.getName());
        ProviderRegistry.addOrUpdateProvider(ProviderRegistry.AUTHPROVIDER_PROPERTY_PREFIX + SCHEME);
        System.setProperty("zookeeper.sessionRequireClientSASLAuth", "true");
        // the cluster's identity is the only one a server accepts; as its super user it may change the ensemble
        System.setProperty("zookeeper.superUser", user);
        if (tls != null) {
            tls.configureServers();
        }
    }

    /** Quorum authentication for an embedded ensemble peer: a peer without the secret cannot join. */
    void configureQuorum(Properties peerConfig) {
        Jaas.INSTANCE.put(QUORUM_LEARNER_SECTION, entry(Map.of("username", user, "password", secret.reveal())));
        peerConfig.setProperty("quorum.auth.enableSasl", "true");
        peerConfig.setProperty("quorum.auth.learnerRequireSasl", "true");
        peerConfig.setProperty("quorum.auth.serverRequireSasl", "true");
        peerConfig.setProperty("quorum.auth.learner.saslLoginContext", QUORUM_LEARNER_SECTION);
        peerConfig.setProperty("quorum.auth.server.saslLoginContext", QUORUM_SERVER_SECTION);
        if (tls != null) {
            tls.configureQuorum(peerConfig);
        }
    }

    /** Tells sections of different secrets apart without revealing anything about the secret. */
    private String fingerprint() {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256")
                    .digest(("pgha-jaas-section\0" + user + "\0" + secret.reveal()).getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest, 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }

    private static AppConfigurationEntry[] entry(Map<String, String> options) {
        return new AppConfigurationEntry[] {
            new AppConfigurationEntry(LOGIN_MODULE, AppConfigurationEntry.LoginModuleControlFlag.REQUIRED, options)
        };
    }

    /** The JVM's JAAS configuration, with pgha's sections. */
    private static final class Jaas extends Configuration {
        static final Jaas INSTANCE = install();

        private final Configuration previous;
        private final Map<String, AppConfigurationEntry[]> sections = new ConcurrentHashMap<>();
        private final Map<String, String> serverUsers = new ConcurrentHashMap<>();

        private Jaas(Configuration previous) {
            this.previous = previous;
        }

        private static Jaas install() {
            Configuration previous;
            try {
                previous = Configuration.getConfiguration();
            } catch (SecurityException e) {
                previous = null; // no JAAS file configured: pgha's sections are all there is
            }
            Jaas jaas = new Jaas(previous);
            Configuration.setConfiguration(jaas);
            return jaas;
        }

        void put(String name, AppConfigurationEntry[] entries) {
            sections.put(name, entries);
        }

        synchronized void addServerUser(String user, Secret secret) {
            serverUsers.put("user_" + user, secret.reveal());
            AppConfigurationEntry[] server = entry(Map.copyOf(serverUsers));
            sections.put(SERVER_SECTION, server);
            sections.put(QUORUM_SERVER_SECTION, server);
        }

        @Override
        public AppConfigurationEntry[] getAppConfigurationEntry(String name) {
            AppConfigurationEntry[] own = sections.get(name);
            if (own != null) {
                return own.clone();
            }
            return previous == null ? null : previous.getAppConfigurationEntry(name);
        }

        @Override
        public void refresh() {
            if (previous != null) {
                previous.refresh();
            }
        }
    }

    /**
     * ZooKeeper's client configuration without its X509Util: ZooKeeper's own takes the names of the SSL settings it
     * copies from system properties from an X509Util, whose class initialisation builds the JDK's default TLS context,
     * trust store included (~100 ms of every command that reads the store; the client uses TLS only as
     * {@link ZooKeeperTls} sets it). The same system properties are copied, by their prefix.
     */
    private static final class ExplicitClientConfig extends ZKClientConfig {
        @Override
        protected void handleBackwardCompatibility() {
            System.getProperties().stringPropertyNames().stream()
                    .filter(n -> n.startsWith("zookeeper.") || n.equals(JUTE_MAXBUFFER) || n.equals(JGSS_NATIVE))
                    .forEach(n -> setProperty(n, System.getProperty(n)));
        }
    }
}
