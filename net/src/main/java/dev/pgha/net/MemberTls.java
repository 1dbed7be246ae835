package dev.pgha.net;

import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import java.nio.file.Path;
import javax.net.ssl.SSLException;

/**
 * The TLS server side of a member's HTTP port when the operator gave certificates (PGHA_TLS_CERT_FILE, _KEY_FILE,
 * _CA_FILE): this member's certificate, and client certificates asked for (not required: health checks and scrapes
 * stay plain HTTP) and verified against the cluster's CA, so that an endpoint can tell another member's request.
 */
public final class MemberTls {
    private final SslContext context;

    private MemberTls(SslContext context) {
        this.context = context;
    }

    SslContext context() {
        return context;
    }

    public static MemberTls server(Path cert, Path key, Path ca) {
        try {
            return new MemberTls(SslContextBuilder.forServer(cert.toFile(), key.toFile())
                    .trustManager(ca.toFile())
                    .clientAuth(ClientAuth.OPTIONAL)
                    .build());
        } catch (SSLException | IllegalArgumentException e) {
            throw new IllegalArgumentException(
                    "cannot use certificate " + cert + " with key " + key + " and CA " + ca + " for the HTTP port: "
                            + e.getMessage(),
                    e);
        }
    }
}
