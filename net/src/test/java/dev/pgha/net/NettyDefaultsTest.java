package dev.pgha.net;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class NettyDefaultsTest {
    private String before;

    @BeforeEach
    void remember() {
        before = System.getProperty(NettyDefaults.JFR_EVENTS);
    }

    @AfterEach
    void restore() {
        if (before == null) {
            System.clearProperty(NettyDefaults.JFR_EVENTS);
        } else {
            System.setProperty(NettyDefaults.JFR_EVENTS, before);
        }
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
}
