package dev.pgha.net;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The small HTTP server on real sockets: routing, deadlines, failures and hostile input. */
class HttpServiceTest {
    private HttpService server;
    private final HttpClient client = HttpClient.newHttpClient();

    @BeforeEach
    void start() throws Exception {
        Map<String, Function<HttpRequestInfo, HttpReply>> routes = Map.of(
                "/ok", q -> HttpReply.text(200, "ok " + q.param("lag").orElse("-") + "\n"),
                "/slow",
                        q -> {
                            try {
                                Thread.sleep(5_000);
                            } catch (InterruptedException e) {
                                Thread.currentThread().interrupt();
                            }
                            return HttpReply.text(200, "late\n");
                        },
                "/boom",
                        q -> {
                            throw new IllegalStateException("broken endpoint");
                        });
        Map<String, Function<HttpRequestInfo, HttpReply>> posts =
                Map.of("/echo", q -> HttpReply.text(200, "got " + new String(q.body(), StandardCharsets.UTF_8) + "\n"));
        Map<String, HttpAction> actions = Map.of(
                "PATCH /config",
                new HttpAction(
                        q -> {
                            try {
                                Thread.sleep(800); // past the endpoints' 500 ms, within the action's own deadline
                            } catch (InterruptedException e) {
                                Thread.currentThread().interrupt();
                            }
                            return HttpReply.text(
                                    200,
                                    q.method() + " " + new String(q.body(), StandardCharsets.UTF_8) + " auth="
                                            + q.authorization().orElse("-") + " secure=" + q.secure() + "\n");
                        },
                        Duration.ofSeconds(5)));
        server = HttpService.listen("test", "127.0.0.1", 0, routes, posts, actions, Duration.ofMillis(500), null);
    }

    @AfterEach
    void stop() {
        server.close();
    }

    private HttpResponse<String> send(String method, String path) throws IOException, InterruptedException {
        HttpRequest r = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
                .method(method, HttpRequest.BodyPublishers.noBody())
                .timeout(Duration.ofSeconds(10))
                .build();
        return client.send(r, HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void routesByPathWithDecodedQueryParameters() throws Exception {
        HttpResponse<String> r = send("GET", "/ok?lag=16MB");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).isEqualTo("ok 16MB\n");
        assertThat(r.headers().firstValue("content-type")).hasValue("text/plain; charset=utf-8");
        assertThat(send("GET", "/missing").statusCode()).isEqualTo(404);
        assertThat(send("DELETE", "/ok").statusCode()).isEqualTo(405);
        HttpResponse<String> head = send("HEAD", "/ok");
        assertThat(head.statusCode()).isEqualTo(200);
        assertThat(head.body()).isEmpty();
        HttpResponse<String> options = send("OPTIONS", "/ok");
        assertThat(options.statusCode()).isEqualTo(200);
        assertThat(options.headers().firstValue("allow")).hasValue("GET, HEAD, OPTIONS");
    }

    @Test
    void onlyPostRoutesTakePostsAndTheirBodyIsBounded() throws Exception {
        HttpRequest post = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/echo"))
                .POST(HttpRequest.BodyPublishers.ofString("{\"a\":1}"))
                .timeout(Duration.ofSeconds(10))
                .build();
        HttpResponse<String> echoed = client.send(post, HttpResponse.BodyHandlers.ofString());
        assertThat(echoed.statusCode()).isEqualTo(200);
        assertThat(echoed.body()).isEqualTo("got {\"a\":1}\n");
        assertThat(send("POST", "/ok").statusCode()).as("a GET route").isEqualTo(405);
        assertThat(send("GET", "/echo").statusCode()).as("a POST route").isEqualTo(404);
        HttpRequest huge = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/echo"))
                .POST(HttpRequest.BodyPublishers.ofString("x".repeat(100_000)))
                .timeout(Duration.ofSeconds(10))
                .build();
        assertThat(client.send(huge, HttpResponse.BodyHandlers.ofString()).statusCode())
                .isEqualTo(413);
    }

    @Test
    void anActionTakesItsMethodBodyAndCredentialAndHasADeadlineOfItsOwn() throws Exception {
        HttpRequest patch = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/config"))
                .method("PATCH", HttpRequest.BodyPublishers.ofString("{\"a\":1}"))
                .header("Authorization", "Bearer t0ken")
                .build();
        HttpResponse<String> r = client.send(patch, HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).isEqualTo("PATCH {\"a\":1} auth=Bearer t0ken secure=false\n");
        // the same path with another method is no action; PATCH elsewhere is not allowed
        assertThat(send("POST", "/config").statusCode()).isEqualTo(405);
        assertThat(send("PATCH", "/ok").statusCode()).isEqualTo(405);
    }

    @Test
    void anEndpointPastItsDeadlineGets503AndOneThatThrowsGets500() throws Exception {
        HttpResponse<String> slow = send("GET", "/slow");
        assertThat(slow.statusCode()).isEqualTo(503);
        assertThat(slow.body()).startsWith("no answer within");
        HttpResponse<String> boom = send("GET", "/boom");
        assertThat(boom.statusCode()).isEqualTo(500);
        assertThat(boom.body()).contains("broken endpoint");
        assertThat(send("GET", "/ok").statusCode()).isEqualTo(200);
    }

    @Test
    void keepAliveServesRequestsInTurnOnOneConnection() throws Exception {
        try (Socket s = new Socket("127.0.0.1", server.port())) {
            s.setSoTimeout(5000);
            s.getOutputStream()
                    .write(("GET /ok HTTP/1.1\r\nHost: x\r\n\r\nGET /ok?lag=1 HTTP/1.1\r\nHost: x\r\n"
                                    + "Connection: close\r\n\r\n")
                            .getBytes(StandardCharsets.US_ASCII));
            String all = new String(s.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
            assertThat(all.split("HTTP/1.1 200 OK", -1)).hasSize(3);
            assertThat(all).contains("ok -\n").endsWith("ok 1\n");
        }
    }

    @Test
    void garbageAndOversizedHeadersGet400AndTheServerKeepsServing() throws Exception {
        assertThat(raw("\u0016\u0003\u0001\u0002\u0000garbage\r\n\r\n")).startsWith("HTTP/1.1 400 ");
        assertThat(raw("GET /ok HTTP/1.1\r\nX: " + "y".repeat(10_000) + "\r\n\r\n"))
                .startsWith("HTTP/1.1 400 ")
                .contains("larger than 8192 bytes");
        assertThat(send("GET", "/ok").statusCode()).isEqualTo(200);
    }

    private String raw(String request) throws IOException {
        try (Socket s = new Socket("127.0.0.1", server.port())) {
            s.setSoTimeout(5000);
            s.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
            InputStream in = s.getInputStream();
            return new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
        }
    }
}
