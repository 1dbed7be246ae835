package dev.pgha.net;

/** What an endpoint answers: status, content type and body (UTF-8 text). */
public record HttpReply(int status, String contentType, String body) {
    public static final String TEXT = "text/plain; charset=utf-8";
    public static final String JSON = "application/json";

    public static HttpReply text(int status, String body) {
        return new HttpReply(status, TEXT, body);
    }

    public static HttpReply json(int status, String body) {
        return new HttpReply(status, JSON, body);
    }
}
