package dev.pgha.net;

import java.time.Duration;
import java.util.function.Function;

/**
 * An endpoint that changes something (POST or PATCH, with a body of at most 8 KiB) and may take long, such as a
 * switchover: it runs on the server's one action thread, apart from the health checks, with a deadline of its own.
 */
public record HttpAction(Function<HttpRequestInfo, HttpReply> handler, Duration deadline) {}
