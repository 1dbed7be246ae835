package dev.pgha.common.model;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ParameterRulesTest {
    @ParameterizedTest(name = "{0}={1} is allowed")
    @CsvSource(
            delimiter = '|',
            value = {
                "work_mem|64MB",
                "max_connections|200",
                "pg_stat_statements.max|10000",
                "log_directory|log",
                "log_filename|postgresql-%a.log",
                "search_path|'\"$user\", public'",
                "TimeZone|UTC"
            })
    void allowed(String name, String value) {
        assertThat(ParameterRules.refusal(name, value)).isEmpty();
    }

    @ParameterizedTest(name = "{0}={1} is refused: {2}")
    @CsvSource(
            delimiter = '|',
            value = {
                "archive_command|id > /tmp/x|runs commands or loads code",
                "ARCHIVE_COMMAND|id|runs commands or loads code",
                "archive_mode|on|runs commands or loads code",
                "restore_command|cp x y|runs commands or loads code",
                "ssl_passphrase_command|echo x|runs commands or loads code",
                "shared_preload_libraries|/tmp/evil.so|runs commands or loads code",
                "session_preload_libraries|/nonexistent.so|runs commands or loads code",
                "local_preload_libraries|x|runs commands or loads code",
                "dynamic_library_path|/tmp|runs commands or loads code",
                "jit_provider|/tmp/x|runs commands or loads code",
                "cluster_name|other|is managed by pgha",
                "port|5432|is managed by pgha",
                "synchronous_standby_names|*|is managed by pgha",
                "default_transaction_read_only|off|turns it on while the data volume is fuller",
                "log_directory|/etc|must stay inside the data directory",
                "log_filename|../../x|must stay inside the data directory",
                "work mem|1MB|is not a postgres parameter name",
                "x;drop|1|is not a postgres parameter name"
            })
    void refused(String name, String value, String why) {
        assertThat(ParameterRules.refusal(name, value))
                .hasValueSatisfying(m -> assertThat(m).contains(why));
    }

    @Test
    void aValueWithALineBreakIsRefusedWithoutQuotingIt() {
        assertThat(ParameterRules.refusal("work_mem", "1MB\narchive_command = 'id'"))
                .hasValueSatisfying(
                        m -> assertThat(m).contains("control characters").doesNotContain("archive"));
    }
}
