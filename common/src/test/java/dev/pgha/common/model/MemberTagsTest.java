package dev.pgha.common.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class MemberTagsTest {
    @ParameterizedTest(name = "[{index}] {0}")
    @CsvSource(delimiter = '|', textBlock = """
            ''                                               | ''
            nofailover=true                                  | nofailover
            ' nosync = true , noloadbalance=true '           | nosync,noloadbalance
            nofailover=false,failoverPriority=7              | failoverPriority=7
            cloneFrom=true,nosync=true                       | nosync,cloneFrom
            """)
    void parsesWhatPghaTagsHolds(String text, String described) {
        assertThat(MemberTags.parse(text).describe()).isEqualTo(described);
    }

    /** Each row: PGHA_TAGS, what `pgha member tag` set over them, the tags in effect. */
    @ParameterizedTest(name = "[{index}] {0} + {1}")
    @CsvSource(delimiter = '|', textBlock = """
            ''                          | nosync=true                        | nosync
            nofailover=true             | nosync=true                        | nofailover,nosync
            nofailover=true,nosync=true | nofailover=false                   | nosync
            failoverPriority=3          | failoverPriority=9,noloadbalance=true | noloadbalance,failoverPriority=9
            nosync=true                 | ''                                 | nosync
            cloneFrom=true              | cloneFrom=false                    | ''
            """)
    void theOperatorsTagsApplyOverTheConfiguredOnes(String configured, String operator, String effective) {
        assertThat(MemberTags.parse(configured).withOverrides(operator).describe())
                .isEqualTo(effective);
        assertThat(MemberTags.parse(configured).withOverrides(null)).isEqualTo(MemberTags.parse(configured));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            nofailover                  | "nofailover" is not TAG=VALUE
            nofailover=yes              | tag nofailover takes true or false
            failoverPriority=high       | tag failoverPriority takes a number 0-1000
            failoverPriority=-1         | tag failoverPriority takes a number 0-1000
            cloneFrom=1                 | tag cloneFrom takes true or false
            primary=true                | unknown tag primary; tags: nofailover, nosync, noloadbalance, failoverPriority, cloneFrom
            """)
    void refusesWhatItDoesNotKnowSayingWhy(String text, String message) {
        assertThatThrownBy(() -> MemberTags.parse(text))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage(message);
    }
}
