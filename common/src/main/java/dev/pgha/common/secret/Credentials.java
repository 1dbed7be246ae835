package dev.pgha.common.secret;

import java.util.Set;

/**
 * The passwords of pgha's three roles, and which of them pgha generated (and therefore has to show the user once).
 */
public record Credentials(Secret suPassword, Secret replPassword, Secret operatorPassword, Set<String> generated) {
    public static final String SU_ROLE = "flypgadmin";
    public static final String REPL_ROLE = "repluser";
    public static final String OPERATOR_ROLE = "postgres";

    public Credentials {
        generated = Set.copyOf(generated);
    }
}
