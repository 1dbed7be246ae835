package dev.pgha.app.log;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.core.LayoutBase;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/**
 * pgha's log line, one per event, never a stack trace. {@code text}:
 * {@code 2026-11-23T18:41:14.123Z INFO  [keeper] message (Type: exception message)}; {@code json} (PGHA_LOG_FORMAT):
 * {@code {"time":"…","level":"INFO","component":"keeper","message":"…","error":"Type: …"}}. Libraries (ZooKeeper
 * above all) attach exceptions to expected events such as a peer going away; their summary stays on the line.
 */
public final class PghaLayout extends LayoutBase<ILoggingEvent> {
    private static final DateTimeFormatter TIME =
            DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSX").withZone(ZoneOffset.UTC);
    private static final JsonFactory JSON = new JsonFactory();
    private static final int MAX_CAUSES = 3;

    private boolean json;

    /**
     * Set from PGHA_LOG_FORMAT (PghaLogConfigurator): "json" or anything else for text (the config validation names
     * bad values).
     */
    public void setFormat(String format) {
        this.json = "json".equalsIgnoreCase(format == null ? "" : format.strip());
    }

    @Override
    public String doLayout(ILoggingEvent event) {
        String time = TIME.format(Instant.ofEpochMilli(event.getTimeStamp()));
        String component = Components.of(event.getLoggerName());
        String error = describe(event.getThrowableProxy());
        return json
                ? json(time, event, component, error)
                : time + " " + String.format("%-5s", event.getLevel()) + " [" + component + "] "
                        + event.getFormattedMessage() + (error == null ? "" : " (" + error + ")") + "\n";
    }

    private static String json(String time, ILoggingEvent event, String component, String error) {
        StringWriter out = new StringWriter(160);
        try (JsonGenerator g = JSON.createGenerator(out)) {
            g.writeStartObject();
            g.writeStringField("time", time);
            g.writeStringField("level", event.getLevel().toString());
            g.writeStringField("component", component);
            g.writeStringField("message", event.getFormattedMessage());
            if (error != null) {
                g.writeStringField("error", error);
            }
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.append('\n').toString();
    }

    /** "Type: message; caused by Type: message", up to three causes, on one line; null without an exception. */
    static String describe(IThrowableProxy t) {
        if (t == null) {
            return null;
        }
        StringBuilder b = new StringBuilder();
        for (int i = 0; t != null && i < MAX_CAUSES; i++, t = t.getCause()) {
            if (i > 0) {
                b.append("; caused by ");
            }
            b.append(t.getClassName().substring(t.getClassName().lastIndexOf('.') + 1));
            if (t.getMessage() != null) {
                b.append(": ").append(t.getMessage().replace('\n', ' '));
            }
        }
        return b.toString();
    }
}
