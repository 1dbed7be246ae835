package dev.pgha.app.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * Reads a child tool's stderr on a thread of its own (so the tool never blocks on a full pipe) and keeps its last
 * lines for an error message. {@link #lastLines()} waits for the reader to reach the end of the stream: a tool's
 * exit does not mean its last lines, which say why it failed, have been read yet.
 */
final class ToolStderr {
    private static final int KEPT = 5;
    /** How long to wait for the rest of the output after the tool ended (a child it left could hold the pipe). */
    private static final long DRAIN_MILLIS = TimeUnit.SECONDS.toMillis(5);

    private final Deque<String> last = new ArrayDeque<>();
    private final Thread reader;

    /** {@code skip} is given every line first; a line it takes (counts, drops) is not kept. */
    private ToolStderr(InputStream stderr, Predicate<String> skip) {
        reader = new Thread(() -> read(stderr, skip), "import-stderr");
        reader.setDaemon(true);
    }

    static ToolStderr follow(InputStream stderr, Predicate<String> skip) {
        ToolStderr t = new ToolStderr(stderr, skip);
        t.reader.start();
        return t;
    }

    private void read(InputStream stderr, Predicate<String> skip) {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(stderr, StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                if (skip.test(line)) {
                    continue;
                }
                synchronized (last) {
                    if (last.size() == KEPT) {
                        last.removeFirst();
                    }
                    last.addLast(line.strip());
                }
            }
        } catch (IOException ignored) {
            // the tool ended, or was killed
        }
    }

    /** Waits (boundedly) until the whole stream is read, so that counts taken by {@code skip} are final too. */
    void drain() throws InterruptedException {
        reader.join(DRAIN_MILLIS);
    }

    /** The last lines the tool wrote, joined with " | ", once the stream has been read to its end. */
    String lastLines() throws InterruptedException {
        drain();
        synchronized (last) {
            return String.join(" | ", last);
        }
    }
}
