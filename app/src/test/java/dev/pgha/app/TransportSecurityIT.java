package dev.pgha.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.pgha.common.secret.Secret;
import dev.pgha.postgres.PgConnections;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.postgresql.util.PSQLException;

/**
 * A three-node cluster with pgha's default TLS (self-signed certificates) and its pg_hba policy: clients and standbys
 * use TLS, superusers and replication need it off loopback (127.0.0.2 stands for another host), replication comes
 * only from members, and a CancelRequest through either proxy port reaches the query it names and no other.
 */
class TransportSecurityIT {
    private static PghaCluster cluster;
    private static PghaNode leader;

    @BeforeAll
    static void startCluster() throws Exception {
        cluster = new PghaCluster("pgha-tls", 3, 0).start();
        leader = cluster.awaitLeader(null, 2, PghaCluster.READY);
    }

    @AfterAll
    static void stopCluster() throws Exception {
        if (cluster != null) {
            cluster.close();
        }
    }

    private static Connection connect(int port, String user, String password, String sslmode, String from)
            throws SQLException {
        Properties p = new Properties();
        p.setProperty("user", user);
        p.setProperty("password", password);
        p.setProperty("sslmode", sslmode);
        p.setProperty("connectTimeout", "5");
        p.setProperty("socketTimeout", "60");
        if (from != null) {
            p.setProperty("localSocketAddress", from);
        }
        return DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + port + "/postgres", p);
    }

    /** Runs fixed statements on the leader as the operator. */
    private static void asOperator(String... statements) throws SQLException {
        try (Connection c = connect(leader.pgPort(), "postgres", PghaCluster.PASSWORD, "require", null);
                Statement st = c.createStatement()) {
            for (String sql : statements) {
                st.execute(sql);
            }
        }
    }

    private static String one(Connection c, String sql) throws SQLException {
        try (Statement st = c.createStatement();
                ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }

    @Test
    void clientsThroughTheProxyGetTlsEndToEnd() throws Exception {
        PghaNode standby =
                cluster.nodes.stream().filter(n -> n != leader).findFirst().orElseThrow();
        try (Connection c = connect(standby.proxyPort(), "postgres", PghaCluster.PASSWORD, "require", null)) {
            assertThat(one(c, "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()"))
                    .isEqualTo("t");
            assertThat(one(c, "SELECT pg_is_in_recovery()")).isEqualTo("f");
        }
        PgTools.Result psql = PgTools.psql(
                "host=127.0.0.1 port=" + standby.proxyPort()
                        + " user=postgres dbname=postgres sslmode=require password=" + PghaCluster.PASSWORD,
                "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()");
        assertThat(psql.output()).as(psql.toString()).isEqualTo("t");
    }

    @Test
    void pghasOwnConnectionsToAnotherMemberUseTlsAndCheckTheCaWhenThereIsOne() throws Exception {
        // 127.0.0.2 is not the loopback address pg_hba admits without TLS: pgha treats it as another member's
        Secret su = Secret.of("su-test-password");
        Duration t = Duration.ofSeconds(5);
        try (Connection c = PgConnections.open("127.0.0.2", leader.pgPort(), su, t, t, "pgha-test")) {
            assertThat(one(c, "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()"))
                    .isEqualTo("t");
        }
        Path otherCa =
                TestCertificates.create(cluster.baseDir.resolve("other-ca")).ca();
        PgConnections.trustCa(otherCa);
        try {
            assertThatThrownBy(() -> PgConnections.open("127.0.0.2", leader.pgPort(), su, t, t, "pgha-test"))
                    .isInstanceOf(SQLException.class)
                    .hasMessageContaining("SSL");
        } finally {
            PgConnections.trustCa(null);
        }
    }

    @Test
    void standbysStreamOverTls() throws Exception {
        try (Connection c = connect(leader.pgPort(), "postgres", PghaCluster.PASSWORD, "require", null)) {
            await().atMost(Duration.ofSeconds(30))
                    .untilAsserted(() -> assertThat(one(
                                    c,
                                    "SELECT count(*) FILTER (WHERE s.ssl) || '/' || count(*) FROM pg_stat_replication r "
                                            + "JOIN pg_stat_ssl s ON s.pid = r.pid"))
                            .isEqualTo("2/2"));
        }
    }

    @Test
    void offLoopbackASuperuserNeedsTlsAndAnAppUserDoesNot() throws Exception {
        asOperator("DROP ROLE IF EXISTS plain_app", "CREATE ROLE plain_app LOGIN PASSWORD 'plain-app-password'");
        assertThatThrownBy(() -> connect(leader.pgPort(), "postgres", PghaCluster.PASSWORD, "disable", "127.0.0.2"))
                .isInstanceOf(PSQLException.class)
                .hasMessageContaining("pg_hba.conf rejects connection for host \"127.0.0.2\", user \"postgres\"")
                .hasMessageContaining("no encryption");
        try (Connection c = connect(leader.pgPort(), "postgres", PghaCluster.PASSWORD, "require", "127.0.0.2")) {
            assertThat(one(
                            c,
                            "SELECT inet_client_addr()::text || ' ' || ssl FROM pg_stat_ssl "
                                    + "WHERE pid = pg_backend_pid()"))
                    .isEqualTo("127.0.0.2/32 true");
        }
        // postgres.requireTls is off by default: existing application clients keep working without TLS
        try (Connection c = connect(leader.pgPort(), "plain_app", "plain-app-password", "disable", "127.0.0.2")) {
            assertThat(one(c, "SELECT current_user")).isEqualTo("plain_app");
        }
        // a superuser created later is covered too, once the keeper has seen it (within its 10 s recheck)
        asOperator("ALTER ROLE plain_app SUPERUSER");
        await().atMost(Duration.ofSeconds(30))
                .untilAsserted(() -> assertThatThrownBy(() -> connect(
                                        leader.pgPort(), "plain_app", "plain-app-password", "disable", "127.0.0.2")
                                .close())
                        .hasMessageContaining(
                                "pg_hba.conf rejects connection for host \"127.0.0.2\", user \"plain_app\""));
    }

    @Test
    void theOperatorsOwnRulesApplyOnEveryMemberAndOnePostgresRefusesIsSetAside() throws Exception {
        asOperator("DROP ROLE IF EXISTS hba_app", "CREATE ROLE hba_app LOGIN PASSWORD 'hba-app-password'");
        PghaNode standby =
                cluster.nodes.stream().filter(n -> n != leader).findFirst().orElseThrow();
        PghaCli.Result trust = PghaCli.run(leader, "config", "hba", "add", "host all all 0.0.0.0/0 trust");
        assertThat(trust.code()).isEqualTo(1);
        assertThat(trust.err()).startsWith("pgha: method trust lets a client in without proving a password");

        PghaCli.Result added = PghaCli.run(leader, "config", "hba", "add", "host all hba_app 127.0.0.2/32 reject");
        assertThat(added.code()).as(added.toString()).isZero();
        for (PghaNode member : List.of(leader, standby)) {
            await().atMost(Duration.ofSeconds(20))
                    .untilAsserted(() -> assertThatThrownBy(() -> connect(
                                            member.pgPort(), "hba_app", "hba-app-password", "require", "127.0.0.2")
                                    .close())
                            .hasMessageContaining(
                                    "pg_hba.conf rejects connection for host \"127.0.0.2\", user \"hba_app\""));
            try (Connection c = connect(member.pgPort(), "hba_app", "hba-app-password", "require", "127.0.0.1")) {
                assertThat(one(c, "SELECT current_user")).isEqualTo("hba_app");
            }
        }

        // a rule pgha lets through but postgres refuses: every member keeps the rules it had, and says why
        PghaCli.Result bad =
                PghaCli.run(leader, "config", "hba", "add", "host all all 127.0.0.3/32 scram-sha-256 clientcert=bogus");
        assertThat(bad.code()).as(bad.toString()).isZero();
        await().atMost(Duration.ofSeconds(20))
                .untilAsserted(() -> assertThat(PghaCli.run(leader, "status").out())
                        .contains("pg_hba rules from pgha config hba not applied: postgres refused them")
                        .contains("clientcert"));
        assertThatThrownBy(() -> connect(leader.pgPort(), "hba_app", "hba-app-password", "require", "127.0.0.2"))
                .hasMessageContaining("pg_hba.conf rejects connection");
        assertThat(PghaCli.run(leader, "config", "hba", "list").out())
                .containsPattern("(?m)^1 +host all hba_app 127\\.0\\.0\\.2/32 reject$")
                .containsPattern("(?m)^2 +host all all 127\\.0\\.0\\.3/32 scram-sha-256 clientcert=bogus$");

        assertThat(PghaCli.run(leader, "config", "hba", "remove", "2").code()).isZero();
        assertThat(PghaCli.run(leader, "config", "hba", "remove", "1").code()).isZero();
        await().atMost(Duration.ofSeconds(20)).ignoreExceptions().untilAsserted(() -> {
            try (Connection c = connect(leader.pgPort(), "hba_app", "hba-app-password", "require", "127.0.0.2")) {
                assertThat(one(c, "SELECT current_user")).isEqualTo("hba_app");
            }
        });
        assertThat(PghaCli.run(leader, "status").out()).doesNotContain("pg_hba rules");
    }

    @Test
    void replicationFromAnAddressThatIsNotAMemberIsRefused() {
        Properties p = new Properties();
        p.setProperty("user", "repluser");
        p.setProperty("password", "repl-test-password");
        p.setProperty("sslmode", "require");
        p.setProperty("replication", "true");
        p.setProperty("assumeMinServerVersion", "10");
        p.setProperty("preferQueryMode", "simple");
        p.setProperty("localSocketAddress", "127.0.0.2");
        p.setProperty("connectTimeout", "5");
        assertThatThrownBy(() -> DriverManager.getConnection(
                                "jdbc:postgresql://127.0.0.1:" + leader.pgPort() + "/postgres", p)
                        .close())
                .isInstanceOf(PSQLException.class)
                .hasMessageContaining("no pg_hba.conf entry for replication connection from host \"127.0.0.2\"");
    }

    @Test
    void aCancelRequestThroughEitherPortCancelsTheRightQueryAndOnlyThatOne() throws Exception {
        PghaNode via =
                cluster.nodes.stream().filter(n -> n != leader).findFirst().orElseThrow();
        int readOnly = Integer.parseInt(via.env.get("PGHA_READONLY_PORT"));
        for (int port : List.of(via.proxyPort(), readOnly)) {
            // several sleepers, spread over the standbys by the read-only port; cancel one, the others go on
            List<Connection> conns = new ArrayList<>();
            List<Statement> statements = new ArrayList<>();
            List<CompletableFuture<String>> sleeps = new ArrayList<>();
            try {
                for (int i = 0; i < 4; i++) {
                    Connection c = connect(port, "postgres", PghaCluster.PASSWORD, "require", null);
                    conns.add(c);
                    Statement st = c.createStatement();
                    statements.add(st);
                    sleeps.add(CompletableFuture.supplyAsync(() -> {
                        try {
                            st.execute("SELECT pg_sleep(30)");
                            return "finished";
                        } catch (SQLException e) {
                            return e.getSQLState();
                        }
                    }));
                }
                for (int victim = 0; victim < 2; victim++) {
                    int v = victim;
                    await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
                        statements.get(v).cancel(); // pgjdbc sends a CancelRequest to the same host and port
                        assertThat(sleeps.get(v).get(1, TimeUnit.SECONDS)).isEqualTo("57014");
                    });
                }
                Thread.sleep(500);
                assertThat(sleeps.subList(2, 4))
                        .as("through port %d only the cancelled queries ended", port)
                        .allSatisfy(f -> assertThat(f).isNotDone());
            } finally {
                for (Connection c : conns) {
                    c.close();
                }
                for (CompletableFuture<String> f : sleeps) {
                    try {
                        f.get(10, TimeUnit.SECONDS);
                    } catch (ExecutionException | TimeoutException ignored) {
                        // closed under it
                    }
                }
            }
        }
    }
}
