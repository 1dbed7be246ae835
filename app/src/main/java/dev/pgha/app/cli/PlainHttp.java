package dev.pgha.app.cli;

import java.io.IOException;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/**
 * One plain-HTTP GET of a node's health endpoint, as short CLI commands make them: HttpURLConnection rather than
 * java.net.http, which sets up TLS even for http:// (some 600 classes to load for a command that runs in a second).
 */
final class PlainHttp {
    /** What the node answered: the HTTP status and the body. */
    record Reply(int status, String body) {}

    /** A health check's answer is a few lines: a node answering more is not one. */
    private static final int MAX_BODY_BYTES = 1024 * 1024;

    private PlainHttp() {}

    /**
     * GETs {@code target}, waiting at most {@code timeout} to connect and as long again for the answer.
     *
     * @throws java.net.ConnectException nobody listens there
     * @throws java.net.SocketTimeoutException no connection or no answer in time
     */
    static Reply get(URI target, Duration timeout) throws IOException {
        return get(target, timeout, MAX_BODY_BYTES);
    }

    /** {@link #get} of a body of at most {@code maxBytes} (more is an IOException). */
    static Reply get(URI target, Duration timeout, int maxBytes) throws IOException {
        HttpURLConnection connection = (HttpURLConnection) target.toURL().openConnection();
        try {
            int millis = (int) Math.min(Integer.MAX_VALUE, timeout.toMillis());
            connection.setConnectTimeout(millis);
            connection.setReadTimeout(millis);
            int status = connection.getResponseCode();
            InputStream body = status < 400 ? connection.getInputStream() : connection.getErrorStream();
            if (body == null) {
                return new Reply(status, "");
            }
            byte[] bytes = body.readNBytes(maxBytes + 1);
            if (bytes.length > maxBytes) {
                throw new IOException(target + " answered more than " + maxBytes + " bytes");
            }
            return new Reply(status, new String(bytes, StandardCharsets.UTF_8));
        } finally {
            connection.disconnect();
        }
    }

    /** {@link #get} on a thread of its own (a daemon: a command never waits for it to exit). */
    static CompletableFuture<Reply> getAsync(URI target, Duration timeout) {
        CompletableFuture<Reply> reply = new CompletableFuture<>();
        Thread t = new Thread(
                () -> {
                    try {
                        reply.complete(get(target, timeout));
                    } catch (IOException | RuntimeException e) {
                        reply.completeExceptionally(e);
                    }
                },
                "pgha-http-get");
        t.setDaemon(true);
        t.start();
        return reply;
    }
}
