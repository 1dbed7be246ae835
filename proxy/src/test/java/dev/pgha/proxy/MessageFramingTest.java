package dev.pgha.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import org.junit.jupiter.api.Test;

class MessageFramingTest {
    private static ByteBuf bytes(int... values) {
        byte[] b = new byte[values.length];
        for (int i = 0; i < values.length; i++) {
            b[i] = (byte) values[i];
        }
        return Unpooled.wrappedBuffer(b);
    }

    private static ByteBuf startup() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Wire.startup(out);
        return Unpooled.wrappedBuffer(out.toByteArray());
    }

    private static ByteBuf sslRequest() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Wire.sslRequest(out);
        return Unpooled.wrappedBuffer(out.toByteArray());
    }

    @Test
    void followsServerMessagesSplitAnywhere() throws IOException {
        MessageFraming f = new MessageFraming();
        assertThat(f.atServerMessageBoundary()).as("before the startup message").isFalse();
        f.fromClient(startup());
        assertThat(f.atServerMessageBoundary()).isTrue();
        // AuthenticationOk ('R', length 8, 0) split inside the header, then ReadyForQuery in one piece
        f.fromServer(bytes('R', 0, 0));
        assertThat(f.atServerMessageBoundary()).isFalse();
        f.fromServer(bytes(0, 8, 0, 0));
        assertThat(f.atServerMessageBoundary()).isFalse();
        f.fromServer(bytes(0, 0));
        assertThat(f.atServerMessageBoundary()).isTrue();
        f.fromServer(bytes('Z', 0, 0, 0, 5, 'I', 'D', 0, 0));
        assertThat(f.atServerMessageBoundary()).isFalse();
        f.fromServer(bytes(1, 0, 0, 0, 0xff));
        assertThat(f.atServerMessageBoundary())
                .as("inside a DataRow of length 256")
                .isFalse();
        f.fromServer(Unpooled.wrappedBuffer(new byte[249]));
        assertThat(f.atServerMessageBoundary()).isTrue();
    }

    @Test
    void theSslAnswerIsOneUnframedByte() throws IOException {
        MessageFraming f = new MessageFraming();
        f.fromClient(sslRequest());
        f.fromServer(bytes('N'));
        f.fromClient(startup());
        assertThat(f.atServerMessageBoundary()).isTrue();
        f.fromServer(bytes('R', 0, 0, 0, 8, 0, 0, 0, 0));
        assertThat(f.atServerMessageBoundary()).isTrue();
    }

    @Test
    void anEncryptedOrMalformedStreamIsNeverAtABoundary() throws IOException {
        MessageFraming tls = new MessageFraming();
        tls.fromClient(sslRequest());
        tls.fromServer(bytes('S'));
        tls.fromClient(startup());
        assertThat(tls.atServerMessageBoundary()).isFalse();

        MessageFraming bad = new MessageFraming();
        bad.fromClient(startup());
        bad.fromServer(bytes('R', 0, 0, 0, 2));
        assertThat(bad.atServerMessageBoundary()).isFalse();
    }

    @Test
    void aPlainSessionIsAuthenticatedAtTheFirstReadyForQuery() throws IOException {
        MessageFraming f = new MessageFraming();
        f.fromClient(startup());
        f.fromServer(bytes('R', 0, 0, 0, 8, 0, 0, 0, 0));
        assertThat(f.authenticated()).isFalse();
        f.fromServer(bytes('S', 0, 0, 0, 4));
        assertThat(f.authenticated()).isFalse();
        f.fromServer(bytes('Z', 0, 0, 0, 5, 'I'));
        assertThat(f.authenticated()).isTrue();
    }

    @Test
    void insideTlsTheFourthApplicationRecordFromTheClientCountsAsAuthenticated() throws IOException {
        MessageFraming f = new MessageFraming();
        f.fromClient(sslRequest());
        f.fromServer(bytes('S'));
        f.fromClient(bytes(22, 3, 1, 0, 3, 1, 2, 3)); // ClientHello (handshake record)
        f.fromClient(bytes(20, 3, 3, 0, 1, 1)); // ChangeCipherSpec
        for (int record = 1; record <= 3; record++) {
            f.fromClient(bytes(23, 3, 3, 0, 2, 9, 9)); // Finished, StartupMessage, SASLInitialResponse
            assertThat(f.authenticated())
                    .as("after application record %d", record)
                    .isFalse();
        }
        ByteBuf splitHeader = bytes(23, 3, 3);
        f.fromClient(splitHeader);
        assertThat(f.authenticated()).isFalse();
        f.fromClient(bytes(0, 1, 7)); // the SCRAM proof
        assertThat(f.authenticated()).isTrue();
    }
}
