package dev.pgha.common.log;

import ch.qos.logback.classic.pattern.ThrowableHandlingConverter;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;

/**
 * Logback converter {@code %oneLineEx}: an event's exception as " (Type: message; caused by ...)" on the same
 * line, never a stack trace. Libraries (ZooKeeper above all) attach exceptions to expected events such as a peer
 * going away; one line per event keeps the log readable and greppable.
 */
public final class OneLineThrowableConverter extends ThrowableHandlingConverter {
    private static final int MAX_CAUSES = 3;

    @Override
    public String convert(ILoggingEvent event) {
        IThrowableProxy t = event.getThrowableProxy();
        if (t == null) {
            return "";
        }
        StringBuilder b = new StringBuilder(" (");
        for (int i = 0; t != null && i < MAX_CAUSES; i++, t = t.getCause()) {
            if (i > 0) {
                b.append("; caused by ");
            }
            String type = t.getClassName().substring(t.getClassName().lastIndexOf('.') + 1);
            b.append(type);
            if (t.getMessage() != null) {
                b.append(": ").append(t.getMessage().replace('\n', ' '));
            }
        }
        return b.append(')').toString();
    }
}
