package dev.pgha.net;

import dev.pgha.common.tls.PemFiles;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.JdkSslContext;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import java.io.IOException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.util.Optional;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;

/**
 * A TLS server context from PEM files: a certificate chain, its key, and optionally the CAs whose client certificates
 * it accepts. Netty's own reader tries BouncyCastle first whenever it is on the class path (it is: the keeper writes
 * certificates with it), and Netty's JDK server context probes it once in its static initialiser: either sets up
 * BouncyCastle's whole security provider, ~2000 algorithm entries and hundreds of classes, on the daemon's first TLS
 * context: 100-200 ms and ~10 MB of its memory (bench/tls-refusal.sh), against 20-30 ms and ~2 MB without it. For
 * an unencrypted PKCS#8 key ("BEGIN PRIVATE KEY", what the keeper and {@code openssl genpkey} write) the context is
 * built with the JDK's own classes instead ({@link PemFiles}), and wrapped for Netty; any other form (PKCS#1, SEC1,
 * encrypted) still goes to Netty's reader, which reads them all.
 */
public final class ServerKeyFiles {
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
        Optional<PrivateKey> key = PemFiles.pkcs8Key(keyFile);
        if (key.isEmpty()) {
            SslContextBuilder builder = SslContextBuilder.forServer(certFile.toFile(), keyFile.toFile())
                    .clientAuth(clientAuth);
            if (caFile != null) {
                builder.trustManager(caFile.toFile());
            }
            return builder.build();
        }
        try {
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(
                    PemFiles.keyManagers(key.get(), PemFiles.certificates(certFile)),
                    caFile == null ? null : PemFiles.caTrust(caFile),
                    null);
            return new JdkSslContext(context, false, clientAuth);
        } catch (GeneralSecurityException e) {
            throw new SSLException("cannot use " + certFile + " with its key: " + e.getMessage(), e);
        }
    }
}
