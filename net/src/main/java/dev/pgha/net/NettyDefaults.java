package dev.pgha.net;

/**
 * Netty's JVM-wide switches that pgha sets otherwise than Netty does. Netty reads them once, as its classes initialise:
 * {@link #apply} runs before any of them loads (Main calls it before the command runs). A switch the operator set (a
 * {@code -D} in PGHA_JAVA_OPTS) is left as it is.
 */
public final class NettyDefaults {
    /**
     * Netty 4.2 emits JFR events for its buffer allocator when the JVM has JFR. Registering their types the first
     * time it allocates sets up JFR's metadata (about 100 classes, their annotations parsed): 120-226 ms here (median
     * about 150), spent on the first client connection through the proxy after each start (bench/startup.sh, its
     * last phase), and about 0.7 MB of the daemon's memory. Nothing in pgha records them; who profiles Netty with JFR
     * sets it to true.
     */
    static final String JFR_EVENTS = "io.netty.jfr.enabled";

    /**
     * A thread waiting in io_uring_enter counts as waiting for I/O unless the ring asks otherwise
     * (IORING_ENTER_NO_IOWAIT, where the kernel has it), and Netty does not ask by default. Then the proxy's idle
     * event loops keep the machine's I/O pressure (/proc/pressure/io) near 100%: pgha's own vm check
     * (health.maxPressurePercent) failed on every member of a test cluster, and any monitoring of I/O wait is misled.
     * {@link Transport#best} takes io_uring only where this is in force.
     */
    static final String IO_URING_NO_IOWAIT = "io.netty.iouring.enterNoIoWaitEnabled";

    private NettyDefaults() {}

    public static void apply() {
        setUnlessSet(JFR_EVENTS, "false");
        setUnlessSet(IO_URING_NO_IOWAIT, "true");
    }

    private static void setUnlessSet(String name, String value) {
        if (System.getProperty(name) == null) {
            System.setProperty(name, value);
        }
    }
}
