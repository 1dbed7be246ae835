package dev.pgha.common.model;

import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The operator's own pg_hba.conf lines (`pgha config hba add`, kept in the cluster spec, applied by every keeper
 * after pgha's rules and before the rule for everyone else, so they can narrow access or open it to more
 * networks). The CLI refuses what this refuses, and the keeper checks again what it reads from the store; postgres
 * itself then checks each member's file before it is used.
 *
 * <p>Refused: anything but one line of host-type rule; {@code trust}, {@code password} (cleartext), {@code ident}
 * and {@code peer}, which would let a client in without proving a password; and {@code @file} references, which
 * would read a file on the server.
 */
public final class HbaRules {
    public static final int MAX_RULES = 100;
    private static final int MAX_LENGTH = 500;
    private static final Set<String> TYPES = Set.of("host", "hostssl", "hostnossl", "hostgssenc", "hostnogssenc");
    private static final Set<String> REFUSED_METHODS = Set.of("trust", "password", "ident", "peer");
    private static final Pattern PRINTABLE = Pattern.compile("[\\x20-\\x7e]+");

    private HbaRules() {}

    /** Why {@code rule} cannot be used, or empty when it can. */
    public static Optional<String> refusal(String rule) {
        if (rule == null || rule.isBlank()) {
            return Optional.of("an empty pg_hba rule");
        }
        if (rule.length() > MAX_LENGTH || !PRINTABLE.matcher(rule).matches()) {
            return Optional.of("a pg_hba rule is one line of printable ASCII of at most " + MAX_LENGTH + " characters");
        }
        if (rule.strip().startsWith("#")) {
            return Optional.of("a comment is not a pg_hba rule");
        }
        if (rule.contains("@")) {
            return Optional.of("pg_hba rules may not refer to files (@file)");
        }
        List<String> fields = List.of(rule.strip().split("\\s+"));
        String type = fields.get(0).toLowerCase(Locale.ROOT);
        if (!TYPES.contains(type)) {
            return Optional.of("a pg_hba rule here starts with host, hostssl, hostnossl, hostgssenc or hostnogssenc "
                    + "(pgha keeps the local socket for itself), not \"" + fields.get(0) + "\"");
        }
        if (fields.size() < 5) {
            return Optional.of("a pg_hba rule needs at least TYPE DATABASE USER ADDRESS METHOD");
        }
        String method = method(fields);
        if (REFUSED_METHODS.contains(method)) {
            return Optional.of("method " + method + " lets a client in without proving a password; use "
                    + "scram-sha-256, cert or reject");
        }
        return Optional.empty();
    }

    /** The METHOD field: after ADDRESS, or after ADDRESS and a separate netmask. */
    private static String method(List<String> fields) {
        boolean netmask = !fields.get(3).contains("/")
                && fields.size() > 5
                && fields.get(4).matches("[0-9.]+|[0-9a-fA-F:]+");
        return fields.get(netmask ? 5 : 4).toLowerCase(Locale.ROOT);
    }
}
