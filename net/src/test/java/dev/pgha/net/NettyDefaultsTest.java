package dev.pgha.net;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class NettyDefaultsTest {
    private SavedProperties saved;

    @BeforeEach
    void remember() {
        saved = new SavedProperties(NettyDefaults.JFR_EVENTS, NettyDefaults.IO_URING_NO_IOWAIT);
    }

    @AfterEach
    void restore() {
        saved.restore();
    }

    @Test
    void nettysJfrEventsAreOffUnlessTheOperatorAskedForThem() {
        System.clearProperty(NettyDefaults.JFR_EVENTS);
        NettyDefaults.apply();
        assertThat(System.getProperty(NettyDefaults.JFR_EVENTS)).isEqualTo("false");

        System.setProperty(NettyDefaults.JFR_EVENTS, "true"); // -Dio.netty.jfr.enabled=true in PGHA_JAVA_OPTS
        NettyDefaults.apply();
        assertThat(System.getProperty(NettyDefaults.JFR_EVENTS)).isEqualTo("true");
    }

    @Test
    void ioUringWaitsAreNotIoWaitUnlessTheOperatorSaysOtherwise() {
        System.clearProperty(NettyDefaults.IO_URING_NO_IOWAIT);
        NettyDefaults.apply();
        assertThat(System.getProperty(NettyDefaults.IO_URING_NO_IOWAIT)).isEqualTo("true");

        System.setProperty(NettyDefaults.IO_URING_NO_IOWAIT, "false");
        NettyDefaults.apply();
        assertThat(System.getProperty(NettyDefaults.IO_URING_NO_IOWAIT)).isEqualTo("false");
    }
}
