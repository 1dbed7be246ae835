package dev.pgha.keeper;

import java.io.IOException;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalInt;

/** How full the data volume is, and whether postgres should be read-only because of it. */
public final class DiskUsage {
    /** Writable again only this many points below the limit, so a volume at the limit does not flap. */
    static final int HYSTERESIS = 2;

    private DiskUsage() {}

    /** Percent of the volume holding {@code path} in use (as df counts it: of what unprivileged users may use). */
    public static OptionalInt usedPercent(Path path) {
        try {
            FileStore store = Files.getFileStore(path);
            long total = store.getTotalSpace();
            long free = store.getUsableSpace();
            long used = total - store.getUnallocatedSpace();
            if (total <= 0 || used + free <= 0) {
                return OptionalInt.empty();
            }
            return OptionalInt.of((int) Math.ceil(100.0 * used / (used + free)));
        } catch (IOException e) {
            return OptionalInt.empty();
        }
    }

    /** Read-only at {@code limit}% or more; once read-only, until usage is {@link #HYSTERESIS} points lower. */
    static boolean readOnly(int usedPercent, int limit, boolean readOnlyNow) {
        if (limit >= 100) {
            return false;
        }
        return readOnlyNow ? usedPercent > limit - HYSTERESIS : usedPercent >= limit;
    }
}
