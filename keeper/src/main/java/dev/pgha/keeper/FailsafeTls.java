package dev.pgha.keeper;

import dev.pgha.common.config.PghaConfig;
import dev.pgha.common.tls.PemFiles;
import java.io.IOException;
import java.net.Socket;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509ExtendedTrustManager;
import javax.net.ssl.X509TrustManager;

/**
 * The TLS client side of failsafe requests when the operator gave certificates: this member presents its own
 * certificate, and trusts only a server whose certificate chains to the cluster's CA. Host names are not matched
 * (members are addressed by IP, as pgha's own postgres connections verify the chain only); the request is signed as
 * well, and the member's HTTP port asks for this certificate.
 */
public final class FailsafeTls {
    private FailsafeTls() {}

    public static SSLContext client(PghaConfig.Tls tls) {
        try {
            PrivateKey key = PemFiles.pkcs8Key(tls.keyFile())
                    .orElseThrow(() -> new GeneralSecurityException(tls.keyFile()
                            + " holds no PKCS#8 private key (\"BEGIN PRIVATE KEY\") of an algorithm the JDK reads"));
            X509TrustManager ca = first(PemFiles.caTrust(tls.caFile()));
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(
                    PemFiles.keyManagers(key, PemFiles.certificates(tls.certFile())),
                    new TrustManager[] {new ChainOnly(ca)},
                    null);
            return context;
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalArgumentException(
                    "cannot use certificate " + tls.certFile() + " with key " + tls.keyFile() + " and CA "
                            + tls.caFile() + " for failsafe requests: " + e.getMessage(),
                    e);
        }
    }

    private static X509TrustManager first(TrustManager[] managers) throws GeneralSecurityException {
        for (TrustManager t : managers) {
            if (t instanceof X509TrustManager x) {
                return x;
            }
        }
        throw new GeneralSecurityException("no X.509 trust manager");
    }

    /** Checks the server's chain against the CA and nothing else (an extended manager: the JDK adds no host check). */
    private static final class ChainOnly extends X509ExtendedTrustManager {
        private final X509TrustManager ca;

        ChainOnly(X509TrustManager ca) {
            this.ca = ca;
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            ca.checkServerTrusted(chain, authType);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
                throws CertificateException {
            ca.checkServerTrusted(chain, authType);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
                throws CertificateException {
            ca.checkServerTrusted(chain, authType);
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            throw new CertificateException("a failsafe client trusts no clients");
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
                throws CertificateException {
            throw new CertificateException("a failsafe client trusts no clients");
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
                throws CertificateException {
            throw new CertificateException("a failsafe client trusts no clients");
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return ca.getAcceptedIssuers();
        }
    }
}
