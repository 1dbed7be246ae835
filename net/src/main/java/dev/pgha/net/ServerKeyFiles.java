package dev.pgha.net;

import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.JdkSslContext;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;

/**
 * A TLS server context from PEM files: a certificate chain, its key, and optionally the CAs whose client certificates
 * it accepts. Netty's own reader tries BouncyCastle first whenever it is on the class path (it is: the keeper writes
 * certificates with it), and Netty's JDK server context probes it once in its static initialiser: either sets up
 * BouncyCastle's whole security provider, ~2000 algorithm entries and hundreds of classes, on the daemon's first TLS
 * context: 100-200 ms and ~10 MB of its memory (bench/tls-refusal.sh), against 20-30 ms and ~2 MB without it. For an unencrypted PKCS#8 key ("BEGIN PRIVATE KEY", what the keeper and {@code
 * openssl genpkey} write) the context is built with the JDK's own classes instead, and wrapped for Netty; any other
 * form (PKCS#1, SEC1, encrypted) still goes to Netty's reader, which reads them all.
 */
public final class ServerKeyFiles {
    private static final String BEGIN = "-----BEGIN PRIVATE KEY-----";
    private static final String END = "-----END PRIVATE KEY-----";
    private static final List<String> ALGORITHMS = List.of("EC", "RSA", "Ed25519", "Ed448", "RSASSA-PSS", "DSA");

    private ServerKeyFiles() {}

    /**
     * A server context for {@code certFile}'s chain and {@code keyFile}'s key that asks for client certificates as
     * {@code clientAuth} says and accepts those {@code caFile}'s certificates signed (null: none asked for).
     *
     * @throws IllegalArgumentException when a file cannot be parsed, as Netty's reader says it
     * @throws IOException when a file cannot be read, or the JDK refuses the key or certificates
     */
    public static SslContext serverContext(Path certFile, Path keyFile, Path caFile, ClientAuth clientAuth)
            throws IOException {
        PrivateKey key = pkcs8Key(keyFile);
        if (key == null) {
            SslContextBuilder builder = SslContextBuilder.forServer(certFile.toFile(), keyFile.toFile())
                    .clientAuth(clientAuth);
            if (caFile != null) {
                builder.trustManager(caFile.toFile());
            }
            return builder.build();
        }
        try {
            char[] noPassword = new char[0]; // the key store lives in memory only, for the key manager
            KeyStore keys = emptyKeyStore();
            keys.setKeyEntry("server", key, noPassword, certificates(certFile));
            KeyManagerFactory keyManagers = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            keyManagers.init(keys, noPassword);
            TrustManager[] trustManagers = null;
            if (caFile != null) {
                KeyStore trusted = emptyKeyStore();
                X509Certificate[] cas = certificates(caFile);
                for (int i = 0; i < cas.length; i++) {
                    trusted.setCertificateEntry("ca-" + i, cas[i]);
                }
                TrustManagerFactory factory =
                        TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
                factory.init(trusted);
                trustManagers = factory.getTrustManagers();
            }
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(keyManagers.getKeyManagers(), trustManagers, null);
            return new JdkSslContext(context, false, clientAuth);
        } catch (GeneralSecurityException e) {
            throw new SSLException("cannot use " + certFile + " with its key: " + e.getMessage(), e);
        }
    }

    private static KeyStore emptyKeyStore() throws IOException, GeneralSecurityException {
        KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
        store.load(null, null);
        return store;
    }

    /** The key when the file holds exactly an unencrypted PKCS#8 key the JDK reads; null for any other content. */
    static PrivateKey pkcs8Key(Path keyFile) throws IOException {
        byte[] file = Files.readAllBytes(keyFile);
        byte[] der = null;
        try {
            String text = new String(file, StandardCharsets.US_ASCII).strip();
            if (!text.startsWith(BEGIN) || !text.endsWith(END) || text.indexOf(BEGIN, 1) >= 0) {
                return null;
            }
            der = Base64.getMimeDecoder().decode(text.substring(BEGIN.length(), text.length() - END.length()));
            for (String algorithm : ALGORITHMS) {
                try {
                    return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(der));
                } catch (GeneralSecurityException e) {
                    // not this algorithm's key (or not one this JDK has): the next one
                }
            }
            return null;
        } catch (IllegalArgumentException e) {
            return null; // not base64: Netty's reader gives the error
        } finally {
            Arrays.fill(file, (byte) 0);
            if (der != null) {
                Arrays.fill(der, (byte) 0);
            }
        }
    }

    /** Every certificate in a PEM file (the JDK reads PEM too), at least one. */
    private static X509Certificate[] certificates(Path file) throws IOException, GeneralSecurityException {
        X509Certificate[] chain;
        try (InputStream in = Files.newInputStream(file)) {
            chain = CertificateFactory.getInstance("X.509")
                    .generateCertificates(in)
                    .toArray(X509Certificate[]::new);
        }
        if (chain.length == 0) {
            throw new CertificateException("no certificate in " + file);
        }
        return chain;
    }
}
