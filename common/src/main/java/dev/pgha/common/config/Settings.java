package dev.pgha.common.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigOrigin;
import com.typesafe.config.ConfigRenderOptions;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;
import dev.pgha.common.secret.Secret;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Typed, validated reads of a merged config. Every failure becomes an {@link InvalidConfigException} that names
 * the key (or the environment variable it came from), the value and what is allowed — never a secret's value.
 */
final class Settings {
    private final Config config;

    Settings(Config config) {
        this.config = config;
    }

    String string(String path) {
        try {
            return config.getString(path).trim();
        } catch (ConfigException.WrongType e) {
            throw invalid(path, "a single value, not a list or a section");
        }
    }

    Optional<String> optional(String path) {
        String s = string(path);
        return s.isEmpty() ? Optional.empty() : Optional.of(s);
    }

    String matching(String path, Pattern pattern, int maxLength, String allowed) {
        String s = string(path);
        if (s.length() > maxLength || !pattern.matcher(s).matches()) {
            throw invalid(path, allowed);
        }
        return s;
    }

    Optional<String> optionalMatching(String path, Pattern pattern, int maxLength, String allowed) {
        return optional(path).map(s -> matching(path, pattern, maxLength, allowed));
    }

    int integer(String path, int min, int max, String allowed) {
        int v;
        try {
            v = config.getInt(path);
        } catch (ConfigException.WrongType | ConfigException.BadValue e) {
            throw invalid(path, allowed);
        }
        if (v < min || v > max) {
            throw invalid(path, allowed);
        }
        return v;
    }

    boolean bool(String path) {
        try {
            return config.getBoolean(path);
        } catch (ConfigException.WrongType | ConfigException.BadValue e) {
            throw invalid(path, "true or false");
        }
    }

    int port(String path) {
        return integer(path, 1, 65535, "a TCP port number 1-65535");
    }

    Duration duration(String path, Duration min, Duration max) {
        String allowed = "a duration between " + Durations.format(min) + " and " + Durations.format(max)
                + ", such as 500ms, 2s or 5m";
        Duration d;
        try {
            d = config.getDuration(path);
        } catch (ConfigException.WrongType | ConfigException.BadValue e) {
            throw invalid(path, allowed);
        }
        if (d.compareTo(min) < 0 || d.compareTo(max) > 0) {
            throw invalid(path, allowed);
        }
        return d;
    }

    /** A size that must be given (its default is in reference.conf, the one place defaults live). */
    long requiredSize(String path, long min) {
        return size(path, min).orElseThrow(() -> invalid(path, "a size such as 16MB or 1GB"));
    }

    Optional<Long> size(String path, long min) {
        if (optional(path).isEmpty()) {
            return Optional.empty();
        }
        String allowed = min <= 0
                ? "a size in bytes, such as 1MB or 16MB (0 for none)"
                : "a size of at least " + (min >> 20) + "MB, such as 512MB or 2GB";
        long bytes;
        try {
            bytes = config.getBytes(path);
        } catch (ConfigException.WrongType | ConfigException.BadValue e) {
            throw invalid(path, allowed);
        }
        if (bytes < min) {
            throw invalid(path, allowed);
        }
        return Optional.of(bytes);
    }

    Path absolutePath(String path) {
        String s = string(path);
        if (s.isEmpty() || s.indexOf('\0') >= 0 || !Path.of(s).isAbsolute()) {
            throw invalid(path, "an absolute path such as /data");
        }
        return Path.of(s).normalize();
    }

    Optional<Path> optionalAbsolutePath(String path) {
        return optional(path).map(s -> absolutePath(path));
    }

    /** A password: empty means "generate one". Its value is never part of an error message. */
    Optional<Secret> secret(String path) {
        String raw;
        try {
            raw = config.getString(path);
        } catch (ConfigException.WrongType e) {
            throw new InvalidConfigException(where(path) + " must be a single string");
        }
        if (raw.isEmpty()) {
            return Optional.empty();
        }
        if (raw.chars().anyMatch(ch -> ch == '\n' || ch == '\r' || ch == 0)) {
            throw new InvalidConfigException(where(path) + " must not contain line breaks or NUL characters");
        }
        return Optional.of(Secret.of(raw));
    }

    /** How a user names this setting: the environment variable that set it, else the key. */
    String label(String path) {
        return envVariable(config.getValue(path).origin()).orElse(path);
    }

    InvalidConfigException invalid(String path, String allowed) {
        ConfigValue value = config.getValue(path);
        String shown = value.valueType() == ConfigValueType.STRING
                ? quote((String) value.unwrapped())
                : value.render(ConfigRenderOptions.concise());
        ConfigOrigin origin = value.origin();
        Optional<String> variable = envVariable(origin);
        if (variable.isPresent()) {
            return new InvalidConfigException(
                    variable.get() + "=" + shown + " is not valid for " + path + ": expected " + allowed);
        }
        return new InvalidConfigException(
                path + " = " + shown + fileLocation(origin) + " is not valid: expected " + allowed);
    }

    private String where(String path) {
        ConfigOrigin origin = config.getValue(path).origin();
        return envVariable(origin).map(v -> v + " (" + path + ")").orElse(path + fileLocation(origin));
    }

    private static Optional<String> envVariable(ConfigOrigin origin) {
        String d = origin.description();
        String prefix = "environment variable ";
        return d.startsWith(prefix) ? Optional.of(d.substring(prefix.length()).trim()) : Optional.empty();
    }

    static String fileLocation(ConfigOrigin origin) {
        if (origin.filename() == null) {
            return "";
        }
        return " in " + origin.filename() + (origin.lineNumber() > 0 ? " line " + origin.lineNumber() : "");
    }

    private static String quote(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (char ch : s.toCharArray()) {
            if (ch == '"' || ch == '\\') {
                b.append('\\').append(ch);
            } else if (ch < 0x20) {
                b.append(String.format("\\u%04x", (int) ch));
            } else {
                b.append(ch);
            }
        }
        return b.append('"').toString();
    }
}
