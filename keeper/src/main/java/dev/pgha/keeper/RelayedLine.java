package dev.pgha.keeper;

import java.util.Locale;
import java.util.regex.Pattern;

/**
 * A line of postgres's output made fit for pgha's log: a statement that sets a password (CREATE/ALTER ROLE or USER …
 * PASSWORD, as postgres echoes it after an error or with log_statement) loses everything after its command words, a
 * SCRAM verifier anywhere is hidden, and control characters are escaped, so one event stays one line and nothing a
 * client put in a name can forge a line of its own. pgha's own sessions do not log their statements at all
 * (PgConnections); this is the second guard, for everyone else's.
 */
final class RelayedLine {
    private static final Pattern ROLE_STATEMENT =
            Pattern.compile("(?i)\\b((?:create|alter)\\s+(?:role|user|group))\\b.*\\bpassword\\b.*");
    private static final Pattern VERIFIER = Pattern.compile("SCRAM-SHA-256\\$[^\\s']*");
    private static final Pattern MD5_HASH = Pattern.compile("(?i)\\bmd5[0-9a-f]{32}\\b");

    private static final Pattern EVENT_START =
            Pattern.compile("^(\\[\\d+\\] |\\t|\\d{4}-\\d\\d-\\d\\d ).*", Pattern.DOTALL);

    private RelayedLine() {}

    /**
     * A line that does not start like one of postgres's log events ("[pid] ", a tab-indented detail, a timestamp):
     * the rest of a message whose text held a line break (a role name sent by a client, say). It is marked, so it
     * cannot pass for an event of its own.
     */
    static String continuation(String line) {
        return line.isEmpty() || EVENT_START.matcher(line).matches() ? line : "↳ " + line;
    }

    static String clean(String line) {
        String out = ROLE_STATEMENT
                .matcher(line)
                .replaceAll(m -> m.group(1).toUpperCase(Locale.ROOT) + " … [statement with a password: not logged]");
        out = VERIFIER.matcher(out).replaceAll("[SCRAM verifier hidden]");
        out = MD5_HASH.matcher(out).replaceAll("[password hash hidden]");
        StringBuilder b = new StringBuilder(out.length());
        out.codePoints().forEach(cp -> {
            if (cp == '\t'
                    || (cp >= 0x20 && cp != 0x7f && !(cp >= 0x80 && cp < 0xa0) && cp != 0x2028 && cp != 0x2029)) {
                b.appendCodePoint(cp);
            } else {
                b.append(String.format("\\x%02x", cp));
            }
        });
        return b.toString();
    }
}
