package dev.pgha.common.tls;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;

/**
 * Keys, certificates and CAs from PEM files, read with the JDK alone: the TLS contexts pgha makes for its own
 * connections and servers (failsafe requests, the HTTP port, refused proxy clients, its postgres connections).
 */
public final class PemFiles {
    private static final byte[] BEGIN = "-----BEGIN PRIVATE KEY-----".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] END = "-----END PRIVATE KEY-----".getBytes(StandardCharsets.US_ASCII);
    private static final List<String> ALGORITHMS = List.of("EC", "RSA", "Ed25519", "Ed448", "RSASSA-PSS", "DSA");

    private PemFiles() {}

    /**
     * The file's one unencrypted PKCS#8 key ("BEGIN PRIVATE KEY") of an algorithm the JDK reads; empty for anything
     * else (a PKCS#1, SEC1 or encrypted key, several keys, no key). The bytes read are cleared after.
     */
    public static Optional<PrivateKey> pkcs8Key(Path file) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        byte[] base64 = null;
        byte[] der = null;
        try {
            // searched as bytes, never made a String: a String of the key could not be cleared
            int begin = indexOf(bytes, BEGIN, 0);
            int end = indexOf(bytes, END, 0);
            if (begin < 0 || end < begin || indexOf(bytes, BEGIN, begin + 1) >= 0) {
                return Optional.empty();
            }
            base64 = Arrays.copyOfRange(bytes, begin + BEGIN.length, end);
            der = Base64.getMimeDecoder().decode(base64);
            for (String algorithm : ALGORITHMS) {
                try {
                    return Optional.of(KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(der)));
                } catch (GeneralSecurityException e) {
                    // not this algorithm's key (or not one this JDK has): the next one
                }
            }
            return Optional.empty();
        } catch (IllegalArgumentException e) {
            return Optional.empty(); // not base64
        } finally {
            for (byte[] b : new byte[][] {bytes, base64, der}) {
                if (b != null) {
                    Arrays.fill(b, (byte) 0);
                }
            }
        }
    }

    /** Where {@code marker} (ASCII) first occurs in {@code bytes} at or after {@code from}; -1 when nowhere. */
    private static int indexOf(byte[] bytes, byte[] marker, int from) {
        outer:
        for (int i = Math.max(0, from); i <= bytes.length - marker.length; i++) {
            for (int j = 0; j < marker.length; j++) {
                if (bytes[i + j] != marker[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    /** Every certificate in the file, at least one (the JDK reads PEM, and skips text before each block). */
    public static X509Certificate[] certificates(Path file) throws IOException, GeneralSecurityException {
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

    /** Key managers that present {@code chain} with {@code key} (kept in a key store in memory only). */
    public static KeyManager[] keyManagers(PrivateKey key, X509Certificate[] chain)
            throws IOException, GeneralSecurityException {
        char[] noPassword = new char[0];
        KeyStore keys = emptyKeyStore();
        keys.setKeyEntry("key", key, noPassword, chain);
        KeyManagerFactory factory = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        factory.init(keys, noPassword);
        return factory.getKeyManagers();
    }

    /** Trust in the certificates of a PEM file of CAs (and nothing else). */
    public static TrustManager[] caTrust(Path caFile) throws IOException, GeneralSecurityException {
        KeyStore store = emptyKeyStore();
        try (InputStream in = Files.newInputStream(caFile)) {
            int i = 0;
            for (Certificate c : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
                store.setCertificateEntry("ca" + i++, c);
            }
        }
        TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        factory.init(store);
        return factory.getTrustManagers();
    }

    private static KeyStore emptyKeyStore() throws IOException, GeneralSecurityException {
        KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
        store.load(null, null);
        return store;
    }
}
