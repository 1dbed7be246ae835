package dev.pgha.common.concurrent;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.List;
import java.util.function.Predicate;

/**
 * Reads a child process's output on a thread of its own (the child never blocks on a full pipe) and keeps its last
 * lines, for an error message or a result. A child's exit does not mean its last lines, which usually say why it
 * failed, have been read: {@link #awaitEnd} waits for the reader to reach the end of the stream.
 */
public final class LineTail {
    private final int kept;
    private final ArrayDeque<String> last = new ArrayDeque<>();
    private final Thread reader;

    private LineTail(int kept, InputStream output, Predicate<String> keep, String threadName) {
        this.kept = kept;
        this.reader = new Thread(() -> read(output, keep), threadName);
        reader.setDaemon(true);
    }

    /**
     * Starts reading {@code output}.
     *
     * @param kept how many of the last lines are kept
     * @param keep given every line first, on the reader thread (it may count or report it); a line it returns false
     *             for is not kept
     */
    public static LineTail follow(InputStream output, int kept, Predicate<String> keep, String threadName) {
        LineTail t = new LineTail(kept, output, keep, threadName);
        t.reader.start();
        return t;
    }

    private void read(InputStream output, Predicate<String> keep) {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(output, StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                if (!keep.test(line)) {
                    continue;
                }
                synchronized (last) {
                    if (last.size() == kept) {
                        last.removeFirst();
                    }
                    last.addLast(line);
                }
            }
        } catch (IOException ignored) {
            // the process closed its output, or was killed: what was read is kept
        }
    }

    /**
     * Waits up to {@code bound} for the whole output to be read (a child the process left behind could hold the pipe
     * open): call it once the process has exited, before {@link #lines()}.
     */
    public void awaitEnd(Duration bound) throws InterruptedException {
        reader.join(Math.max(1, bound.toMillis()));
    }

    /** The last lines read so far, oldest first. */
    public List<String> lines() {
        synchronized (last) {
            return List.copyOf(last);
        }
    }
}
