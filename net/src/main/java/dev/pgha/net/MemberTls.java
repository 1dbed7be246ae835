package dev.pgha.net;

import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.SslContext;
import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

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
            return new MemberTls(ServerKeyFiles.serverContext(cert, key, ca, ClientAuth.OPTIONAL));
        } catch (IOException | IllegalArgumentException e) {
            String why = e instanceof NoSuchFileException ? "no such file " + e.getMessage() : e.getMessage();
            throw new IllegalArgumentException(
                    "cannot use certificate " + cert + " with key " + key + " and CA " + ca + " for the HTTP port: "
                            + why,
                    e);
        }
    }
}
