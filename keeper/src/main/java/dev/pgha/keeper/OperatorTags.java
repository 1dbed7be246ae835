package dev.pgha.keeper;

import dev.pgha.common.model.MemberTags;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The tags this member publishes: its configured PGHA_TAGS with the operator's (`pgha member tag`, read from the
 * cluster spec) over them. The command checks what it writes; what is read back is checked again, and a value that
 * does not parse is ignored, said once.
 */
final class OperatorTags {
    private static final Logger log = LoggerFactory.getLogger(OperatorTags.class);

    private String ignored; // the operator's text last found invalid, said once

    MemberTags over(MemberTags configured, String operator) {
        try {
            return configured.withOverrides(operator);
        } catch (IllegalArgumentException e) {
            if (!Objects.equals(operator, ignored)) {
                ignored = operator;
                log.warn(
                        "the tags set for this member with pgha member tag are not valid ({}): ignored",
                        e.getMessage());
            }
            return configured;
        }
    }
}
