package dev.pgha.net;

import java.util.HashMap;
import java.util.Map;

/** System properties a test changes, put back as they were when it ends (set or not). */
final class SavedProperties {
    private final Map<String, String> saved = new HashMap<>();

    SavedProperties(String... names) {
        for (String name : names) {
            saved.put(name, System.getProperty(name));
        }
    }

    void restore() {
        saved.forEach((name, value) -> {
            if (value == null) {
                System.clearProperty(name);
            } else {
                System.setProperty(name, value);
            }
        });
    }
}
