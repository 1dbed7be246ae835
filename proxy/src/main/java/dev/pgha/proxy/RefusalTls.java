package dev.pgha.proxy;

import dev.pgha.net.ServerKeyFiles;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.SslContext;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.Optional;
import javax.net.ssl.SSLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The certificate the proxy answers a refused client's SSLRequest with, so that a client that requires TLS
 * (sslmode=require) gets the refusal itself — SQLSTATE 57P03 "no leader available", which pools retry — rather than
 * "the server does not support SSL". It is postgres's own certificate and key on this node (the keeper renews them),
 * read again whenever the files change. Relayed sessions never use it: their TLS runs end to end with postgres.
 */
public final class RefusalTls {
    private static final Logger log = LoggerFactory.getLogger(RefusalTls.class);

    private final Path certFile;
    private final Path keyFile;
    private FileTime loadedFrom;
    private SslContext context;
    private String lastFailure;

    public RefusalTls(Path certFile, Path keyFile) {
        this.certFile = certFile;
        this.keyFile = keyFile;
    }

    /** The server context for the files as they are now; empty while there are none (or they are unreadable). */
    synchronized Optional<SslContext> context() {
        try {
            FileTime modified = Files.getLastModifiedTime(certFile);
            FileTime keyModified = Files.getLastModifiedTime(keyFile);
            if (keyModified.compareTo(modified) > 0) {
                modified = keyModified;
            }
            if (context == null || !modified.equals(loadedFrom)) {
                context = ServerKeyFiles.serverContext(certFile, keyFile, null, ClientAuth.NONE);
                loadedFrom = modified;
                lastFailure = null;
            }
            return Optional.of(context);
        } catch (IOException | IllegalArgumentException e) {
            String why = e instanceof SSLException ? e.getMessage() : e.toString();
            if (!why.equals(lastFailure)) {
                lastFailure = why;
                log.warn("refused clients are answered without TLS: cannot load {} ({})", certFile, why);
            }
            return Optional.ofNullable(context);
        }
    }
}
