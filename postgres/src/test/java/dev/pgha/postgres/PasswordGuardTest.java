package dev.pgha.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pgha.common.secret.Secret;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.sql.SQLException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A fake server that asks pgha's connection for the password the way a thief would (cleartext, or an MD5 hash it can
 * attack offline): it must receive nothing after the start-up packet, and the error must name it.
 */
class PasswordGuardTest {
    private static final String PASSWORD = "the-superuser-password";

    @ParameterizedTest(name = "authentication request {0}")
    @ValueSource(ints = {3, 5})
    void aServerAskingForAWeakPasswordExchangeGetsNothing(int request) throws Exception {
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            CompletableFuture<byte[]> received = CompletableFuture.supplyAsync(() -> fakeServer(server, request));
            assertThatThrownBy(() -> PgConnections.open(
                            "127.0.0.1",
                            server.getLocalPort(),
                            Secret.of(PASSWORD),
                            Duration.ofSeconds(5),
                            Duration.ofSeconds(5),
                            "pgha-test"))
                    .isInstanceOf(SQLException.class)
                    .satisfies(e -> assertThat(causes(e))
                            .contains("asked for the password " + (request == 3 ? "in cleartext" : "as an MD5 hash"))
                            .contains("was sent nothing")
                            .doesNotContain(PASSWORD));
            byte[] afterRequest = received.get(20, TimeUnit.SECONDS);
            assertThat(new String(afterRequest, StandardCharsets.ISO_8859_1)).doesNotContain(PASSWORD);
            assertThat(afterRequest)
                    .as("bytes the client sent after the password request")
                    .isEmpty();
        }
    }

    private static String causes(Throwable e) {
        StringBuilder b = new StringBuilder();
        for (Throwable t = e; t != null; t = t.getCause()) {
            b.append(t.getMessage()).append('\n');
        }
        return b.toString();
    }

    /** Reads the start-up packet, asks for the password, and returns whatever arrives afterwards. */
    private static byte[] fakeServer(ServerSocket server, int request) {
        try (Socket s = server.accept()) {
            s.setSoTimeout(3000);
            DataInputStream in = new DataInputStream(s.getInputStream());
            int length = in.readInt();
            in.readFully(new byte[length - 4]);
            DataOutputStream out = new DataOutputStream(s.getOutputStream());
            out.writeByte('R');
            out.writeInt(request == 5 ? 12 : 8);
            out.writeInt(request);
            if (request == 5) {
                out.write(new byte[] {1, 2, 3, 4}); // the salt
            }
            out.flush();
            return readUntilClosed(s.getInputStream());
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static byte[] readUntilClosed(InputStream in) throws IOException {
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        byte[] buffer = new byte[256];
        try {
            int n;
            while ((n = in.read(buffer)) > 0) {
                got.write(buffer, 0, n);
            }
        } catch (SocketTimeoutException e) {
            // the client stayed silent
        }
        return got.toByteArray();
    }
}
