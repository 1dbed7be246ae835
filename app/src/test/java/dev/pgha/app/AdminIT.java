package dev.pgha.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The admin commands that work through SQL on the leader (users, db, attach/detach, config), run as an operator
 * would on a node, against a running single-node cluster: what they print, what postgres then has, and that hostile
 * names are stored as given and change nothing else.
 */
class AdminIT {
    private static final Duration READY = Duration.ofSeconds(90);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern URL = Pattern.compile(
            "^DATABASE_URL=postgres://([^:]+):([0-9a-f]{48})@pgha\\.internal:(\\d+)/(\\S+)$", Pattern.MULTILINE);

    private static PghaNode node;
    private static String password;

    @BeforeAll
    static void startNode() throws Exception {
        node = PghaNode.inNewDir("pgha-admin").withFreePorts();
        node.start().awaitReady(READY);
        password = node.printedPassword().orElseThrow();
    }

    @AfterAll
    static void stopNode() throws Exception {
        if (node != null) {
            node.close();
        }
    }

    private static PghaCli.Result pgha(String... args) throws Exception {
        return PghaCli.run(node, args);
    }

    private static List<String> column(String sql) throws Exception {
        List<String> values = new ArrayList<>();
        try (Connection c = node.connect(node.pgPort(), "postgres", password);
                Statement st = c.createStatement();
                ResultSet rs = st.executeQuery(sql)) {
            while (rs.next()) {
                values.add(rs.getString(1));
            }
        }
        return values;
    }

    @Test
    void attachedAppsCannotConnectToEachOthersDatabases() throws Exception {
        List<String> urls = new ArrayList<>();
        for (String app : List.of("shop-a", "shop-b")) {
            PghaCli.Result attached = pgha("attach", app);
            assertThat(attached.code()).as(attached.toString()).isZero();
            urls.add(attached.out()
                    .strip()
                    .substring("DATABASE_URL=".length())
                    .replace("@pgha.internal:", "@127.0.0.1:"));
        }
        PgTools.Result own = PgTools.psql(urls.get(0), "SELECT current_database()");
        assertThat(own.output()).as(own.toString()).isEqualTo("shop_a");
        PgTools.Result other = PgTools.psql(urls.get(0).replaceFirst("/shop_a$", "/shop_b"), "SELECT 1");
        assertThat(other.exitCode()).isNotZero();
        assertThat(other.output()).contains("permission denied for database \"shop_b\"");
        assertThat(pgha("users", "list").out())
                .containsPattern("(?m)^shop_a +no +no +postgres, shop_a$")
                .containsPattern("(?m)^shop_b +no +no +postgres, shop_b$");
        assertThat(column("SELECT datacl::text FROM pg_database WHERE datname = 'shop_b'"))
                .singleElement()
                .asString()
                .doesNotContainPattern("[{,]=");
        for (String app : List.of("shop-a", "shop-b")) {
            assertThat(pgha("detach", app).code()).isZero();
        }
    }

    @Test
    void attachGivesAnAppAWorkingUrlAndDetachTakesItAwayButKeepsTheData() throws Exception {
        PghaCli.Result attached = pgha("attach", "my-app");
        assertThat(attached.code()).as(attached.toString()).isZero();
        Matcher m = URL.matcher(attached.out());
        assertThat(m.find()).as(attached.out()).isTrue();
        assertThat(m.group(1)).isEqualTo("my_app");
        assertThat(m.group(3)).isEqualTo(Integer.toString(node.proxyPort()));
        assertThat(m.group(4)).isEqualTo("my_app");
        String url =
                attached.out().strip().substring("DATABASE_URL=".length()).replace("@pgha.internal:", "@127.0.0.1:");

        // psql connects with it through the proxy, as the app, and owns its database
        PgTools.Result app = PgTools.psql(
                url,
                "CREATE TABLE orders(id int); INSERT INTO orders VALUES (1), (2); "
                        + "SELECT current_user || ' ' || current_database() || ' ' || count(*) FROM orders");
        assertThat(app.exitCode()).as(app.output()).isZero();
        assertThat(app.output()).endsWith("my_app my_app 2");

        // a second attach is refused, naming the flag to use
        PghaCli.Result again = pgha("attach", "my-app");
        assertThat(again.code()).isEqualTo(1);
        assertThat(again.err())
                .isEqualTo("pgha: user my_app already exists: choose another with --database-user "
                        + "(or pgha detach my-app first)\n");
        PghaCli.Result otherDb = pgha("attach", "my-app", "--database-user", "my_app_2");
        assertThat(otherDb.err())
                .isEqualTo("pgha: database my_app already exists: choose another with --database-name\n");
        assertThat(column("SELECT rolname FROM pg_roles WHERE rolname = 'my_app_2'"))
                .isEmpty();

        // the listings match what postgres has
        JsonNode users = JSON.readTree(pgha("users", "list", "--json").out());
        assertThat(names(users))
                .containsExactlyElementsOf(column("SELECT rolname FROM pg_roles WHERE rolcanlogin ORDER BY 1"));
        assertThat(find(users, "my_app").get("databases").toString()).contains("\"my_app\"");
        JsonNode dbs = JSON.readTree(pgha("db", "list", "--json").out());
        assertThat(names(dbs))
                .containsExactlyElementsOf(
                        column("SELECT datname FROM pg_database WHERE NOT datistemplate ORDER BY 1"));
        assertThat(find(dbs, "my_app").get("owner").asText()).isEqualTo("my_app");
        assertThat(pgha("users", "list").out()).containsPattern("(?m)^my_app +no +no +my_app, postgres$");

        // detach: the URL stops working, the database and its rows stay
        PghaCli.Result detached = pgha("detach", "my-app");
        assertThat(detached.code()).as(detached.toString()).isZero();
        assertThat(detached.out()).startsWith("detached my-app: user my_app dropped;");
        PgTools.Result refused = PgTools.psql(url, "SELECT 1");
        assertThat(refused.exitCode()).isNotZero();
        assertThat(refused.output()).contains("password authentication failed for user \"my_app\"");
        assertThat(column("SELECT datname FROM pg_database WHERE datname = 'my_app'"))
                .containsExactly("my_app");
        assertThat(PgTools.psql(
                                "postgres://postgres:" + password + "@127.0.0.1:" + node.proxyPort() + "/my_app",
                                "SELECT count(*) || ' ' || pg_get_userbyid(relowner) FROM orders, pg_class WHERE relname = 'orders' "
                                        + "GROUP BY relowner")
                        .output())
                .isEqualTo("2 postgres");
        assertThat(names(JSON.readTree(pgha("users", "list", "--json").out()))).doesNotContain("my_app");
    }

    @Test
    void hostileNamesAreStoredAsGivenAndChangeNothingElse() throws Exception {
        List<String> databasesBefore = column("SELECT datname FROM pg_database ORDER BY 1");
        List<String> hostile = List.of(
                "x\"; DROP DATABASE postgres; --",
                "it's",
                "two words",
                "ünïcødé-名前",
                "'; DROP ROLE postgres; --",
                "a\\b");
        for (String name : hostile) {
            PghaCli.Result user = PghaCli.runWithInput(
                    node, "s3cret-" + name.length() + "\n", "users", "create", name, "--password-stdin");
            assertThat(user.code()).as(user.toString()).isZero();
            PghaCli.Result db = pgha("db", "create", name, "--owner", name);
            assertThat(db.code()).as(db.toString()).isZero();
        }
        assertThat(column("SELECT rolname FROM pg_roles")).containsAll(hostile).contains("postgres", "flypgadmin");
        List<String> expected = new ArrayList<>(databasesBefore);
        expected.addAll(hostile);
        assertThat(column("SELECT datname FROM pg_database")).containsExactlyInAnyOrderElementsOf(expected);
        try (Connection c = node.connect(node.pgPort(), "postgres", password);
                PreparedStatement ps =
                        c.prepareStatement("SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = ?")) {
            ps.setString(1, hostile.get(0));
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                assertThat(rs.getString(1)).isEqualTo(hostile.get(0));
            }
        }
        // each can log in with its password (read from stdin, never on the command line)
        try (Connection c = node.connect(
                node.pgPort(), hostile.get(2), "s3cret-" + hostile.get(2).length())) {
            assertThat(c.isValid(5)).isTrue();
        }
        for (String name : hostile) {
            assertThat(pgha("db", "drop", name).code()).isZero();
            assertThat(pgha("users", "drop", name).code()).isZero();
        }
        assertThat(column("SELECT datname FROM pg_database ORDER BY 1")).isEqualTo(databasesBefore);

        // names postgres would truncate, empty names, and pgha's own are refused before anything happens
        PghaCli.Result tooLong = pgha("db", "create", "d".repeat(64));
        assertThat(tooLong.err())
                .isEqualTo("pgha: database name is 64 bytes long; postgres keeps only 63 and would "
                        + "truncate it: choose a shorter one\n");
        assertThat(pgha("users", "create", "é".repeat(32)).err()).contains("user name is 64 bytes long");
        assertThat(pgha("users", "create", "").err()).isEqualTo("pgha: user name is empty\n");
        assertThat(pgha("users", "drop", "flypgadmin").err())
                .isEqualTo("pgha: user flypgadmin is one pgha itself needs; it cannot be dropped\n");
        assertThat(pgha("db", "drop", "postgres").code()).isEqualTo(1);
    }

    @Test
    void dropRefusesADatabaseInUseUnlessForced() throws Exception {
        PghaCli.Result created = pgha("db", "create", "busy", "--json");
        assertThat(created.code()).as(created.toString()).isZero();
        assertThat(JSON.readTree(created.out()))
                .isEqualTo(JSON.readTree("{\"database\":\"busy\",\"owner\":\"postgres\"}"));
        try (Connection c = node.connect(node.pgPort(), "postgres", password)) {
            try (Connection inUse = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + node.pgPort()
                    + "/busy?user=postgres&password=" + password + "&sslmode=disable")) {
                PghaCli.Result refused = pgha("db", "drop", "busy");
                assertThat(refused.code()).isEqualTo(1);
                assertThat(refused.err())
                        .isEqualTo("pgha: database busy has 1 open connection; stop its clients, or add "
                                + "--force to end them\n");
                PghaCli.Result forced = pgha("db", "drop", "busy", "--force");
                assertThat(forced.code()).as(forced.toString()).isZero();
                assertThat(forced.out()).isEqualTo("dropped database busy (ended 1 connection)\n");
                assertThat(inUse.isValid(2)).isFalse();
            }
            assertThat(c.isValid(2)).isTrue();
        }
        assertThat(column("SELECT datname FROM pg_database WHERE datname = 'busy'"))
                .isEmpty();
    }

    @Test
    void configSetAppliesParametersAndRestartsWhenAsked() throws Exception {
        String tunedWorkMem = column("SHOW work_mem").get(0);
        PghaCli.Result asJson = pgha("config", "set", "statement_timeout=0", "--json");
        assertThat(JSON.readTree(asJson.out()))
                .as(asJson.toString())
                .isEqualTo(
                        JSON.readTree(
                                "{\"changed\":[{\"name\":"
                                        + "\"statement_timeout\",\"value\":\"0\",\"takes_effect\":\"reload\"}],\"needs_restart\":false}"));
        PghaCli.Result set = pgha("config", "set", "work_mem=64MB", "log_min_duration_statement=250ms");
        assertThat(set.code()).as(set.toString()).isZero();
        assertThat(set.out())
                .isEqualTo("set work_mem = 64MB (applied on reload)\n"
                        + "set log_min_duration_statement = 250ms (applied on reload)\n");
        await().atMost(Duration.ofSeconds(20))
                .untilAsserted(() -> assertThat(column("SHOW work_mem")).containsExactly("64MB"));

        PghaCli.Result bad = pgha("config", "set", "work_mem=32MB", "shared_buffers=lots");
        assertThat(bad.code()).isEqualTo(1);
        assertThat(bad.err())
                .startsWith("pgha: postgres refused shared_buffers=lots; nothing was changed: ")
                .contains("invalid value for parameter \"shared_buffers\": \"lots\"");
        assertThat(pgha("config", "set", "port=6000").err())
                .isEqualTo(
                        "pgha: port is managed by pgha (replication, fencing and the proxy depend on it) and cannot be set\n");
        assertThat(pgha("config", "set", "no_such_thing=1").err())
                .isEqualTo("pgha: postgres has no parameter no_such_thing\n");
        Thread.sleep(1500); // the keeper re-applies the stored set; work_mem must still be 64MB
        assertThat(column("SHOW work_mem")).containsExactly("64MB");

        PghaCli.Result restartNeeded = pgha("config", "set", "max_locks_per_transaction=128");
        assertThat(restartNeeded.out())
                .startsWith("set max_locks_per_transaction = 128 (needs a restart)\n")
                .contains("run pgha config set --restart");
        await().atMost(Duration.ofSeconds(20))
                .untilAsserted(() -> assertThat(pgha("config", "show").out()).contains("pending restart on "));
        PghaCli.Result show = pgha("config", "show", "--json");
        JsonNode params = JSON.readTree(show.out()).get("parameters");
        assertThat(names(params))
                .containsExactly(
                        "log_min_duration_statement", "max_locks_per_transaction", "statement_timeout", "work_mem");

        PghaCli.Result restarted = pgha("config", "set", "--restart");
        assertThat(restarted.code()).as(restarted.toString()).isZero();
        assertThat(restarted.out()).contains("restarted " + node.memberId());
        await().atMost(Duration.ofSeconds(30))
                .ignoreExceptions()
                .untilAsserted(() ->
                        assertThat(column("SHOW max_locks_per_transaction")).containsExactly("128"));
        assertThat(pgha("config", "show").out()).doesNotContain("pending restart");

        // reset to the default
        assertThat(pgha("config", "set", "work_mem=").out()).isEqualTo("reset work_mem (applied on reload)\n");
        await().atMost(Duration.ofSeconds(20))
                .untilAsserted(() -> assertThat(column("SHOW work_mem")).containsExactly(tunedWorkMem));
    }

    private static List<String> names(JsonNode list) {
        List<String> names = new ArrayList<>();
        list.forEach(n -> names.add(n.get("name").asText()));
        return names;
    }

    private static JsonNode find(JsonNode list, String name) {
        for (JsonNode n : list) {
            if (n.get("name").asText().equals(name)) {
                return n;
            }
        }
        throw new AssertionError(name + " not in " + list);
    }

    @Test
    void connectOpensPsqlOnTheLeaderAsTheOperatorFromAHereDocument() throws Exception {
        PghaCli.Result r = PghaCli.runWithInput(
                node,
                "SELECT 'hello from ' || current_user || ' on the '"
                        + " || CASE WHEN pg_is_in_recovery() THEN 'replica' ELSE 'leader' END AS greeting;\n",
                "connect");
        assertThat(r.code()).as(r.toString()).isZero();
        assertThat(r.out()).contains("hello from postgres on the leader");
        // psql's own exit code comes back: a failing statement with ON_ERROR_STOP is 3
        PghaCli.Result failed =
                PghaCli.runWithInput(node, "\\set ON_ERROR_STOP on\nSELECT no_such_column;\n", "connect");
        assertThat(failed.code()).as(failed.toString()).isEqualTo(3);
        assertThat(failed.err()).contains("no_such_column");
        // the password went through a private file that is gone again
        try (var tmp = java.nio.file.Files.list(java.nio.file.Path.of(System.getProperty("java.io.tmpdir")))) {
            assertThat(tmp.map(f -> f.getFileName().toString())).noneMatch(n -> n.startsWith("pgha-pgpass"));
        }
        PghaCli.Result replica = pgha("connect", "--replica");
        assertThat(replica.code()).isEqualTo(1);
        assertThat(replica.err()).startsWith("pgha: no replica is streaming from the leader right now");
    }

    @Test
    void dsnPrintsUrlsThatReachTheLeader() throws Exception {
        PghaCli.Result r = pgha("dsn", "--user", "postgres", "--database", "postgres");
        assertThat(r.code()).as(r.toString()).isZero();
        assertThat(r.out())
                .contains("  postgres://postgres@pgha.internal:" + node.proxyPort() + "/postgres\n")
                .contains("  postgres://postgres@127.0.0.1:" + node.pgPort()
                        + "/postgres?target_session_attrs=read-write\n");
        JsonNode urls = JSON.readTree(pgha("dsn", "--json").out());
        String jdbc = urls.get("jdbc").asText();
        assertThat(jdbc)
                .isEqualTo("jdbc:postgresql://127.0.0.1:" + node.pgPort() + "/postgres?user=postgres"
                        + "&targetServerType=primary");
        // the multi-host form finds the writable member by itself
        try (Connection c = DriverManager.getConnection(jdbc, "postgres", password);
                Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT pg_is_in_recovery()")) {
            rs.next();
            assertThat(rs.getBoolean(1)).isFalse();
        }
        PghaCli.Result hostile = pgha("dsn", "--database", "a b/c?d");
        assertThat(hostile.out()).contains("/a%20b%2Fc%3Fd?target_session_attrs=read-write");
    }

    @Test
    void statusWatchShowsTheClusterAgainAndStopsAfterCount() throws Exception {
        PghaCli.Result r = pgha("status", "--watch", "--interval", "200ms", "--count", "3");
        assertThat(r.code()).as(r.toString()).isZero();
        assertThat(r.out().split("Every 200ms: pgha status, ", -1)).hasSize(4);
        assertThat(r.out().split("\nCluster pgha: generation ", -1)).hasSize(4);
        PghaCli.Result lone = pgha("status", "--count", "3");
        assertThat(lone.code()).isEqualTo(1);
        assertThat(lone.err()).isEqualTo("pgha: --interval and --count go with --watch\n");
    }

    /** A connection to {@code database} on {@code n}'s postgres as the operator. */
    private static Connection db(PghaNode n, String database, String operatorPassword) throws Exception {
        return DriverManager.getConnection(
                "jdbc:postgresql://127.0.0.1:" + n.pgPort() + "/" + database + "?sslmode=disable",
                "postgres",
                operatorPassword);
    }

    private static String one(Connection c, String sql) throws Exception {
        try (Statement st = c.createStatement();
                ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }

    @Test
    void importCopiesADatabaseFromAnotherPostgresAndLeavesNothingBehindWhenItFails() throws Exception {
        // the source: another postgres (a node of its own cluster) with two schemas, 100 000 rows and a sequence
        PghaNode source = PghaNode.inNewDir("pgha-import-source").withFreePorts();
        try {
            source.start().awaitReady(READY);
            String sourcePassword = source.printedPassword().orElseThrow();
            try (Connection c = db(source, "postgres", sourcePassword);
                    Statement st = c.createStatement()) {
                st.execute("CREATE DATABASE shop");
            }
            try (Connection c = db(source, "shop", sourcePassword);
                    Statement st = c.createStatement()) {
                st.execute("CREATE SCHEMA sales");
                st.execute("CREATE SCHEMA stock");
                st.execute("CREATE TABLE sales.orders (id bigint PRIMARY KEY, note text)");
                st.execute("INSERT INTO sales.orders SELECT g, 'order ' || g FROM generate_series(1, 100000) g");
                st.execute("CREATE TABLE stock.items (sku text PRIMARY KEY, qty int)");
                st.execute("INSERT INTO stock.items VALUES ('a', 1), ('b', 2)");
                st.execute("CREATE SEQUENCE sales.invoice_no");
                st.execute("SELECT nextval('sales.invoice_no') FROM generate_series(1, 42)");
                st.execute("CREATE TABLE public.clash (x int)");
            }
            String url = "postgres://postgres:" + java.net.URLEncoder.encode(sourcePassword, "UTF-8") + "@127.0.0.1:"
                    + source.pgPort() + "/shop";

            PghaCli.Result r = pgha("import", url);
            assertThat(r.code()).as(r.toString()).isZero();
            assertThat(r.out())
                    .contains("imported database shop at 127.0.0.1:" + source.pgPort()
                            + " as postgres into database shop: ")
                    .containsPattern("[\\d.]+ [kMG]?B, \\d+ objects");
            assertThat(r.out() + r.err()).doesNotContain(sourcePassword);
            try (Connection c = db(node, "shop", password)) {
                assertThat(one(c, "SELECT count(*) FROM sales.orders")).isEqualTo("100000");
                assertThat(one(c, "SELECT sum(qty) FROM stock.items")).isEqualTo("3");
                assertThat(one(c, "SELECT last_value || ' ' || is_called FROM sales.invoice_no"))
                        .isEqualTo("42 true");
                assertThat(one(c, "SELECT tableowner FROM pg_tables WHERE tablename = 'orders'"))
                        .isEqualTo("postgres");
            }
            // in parallel (a directory dump in a private temporary directory, deleted afterwards)
            PghaCli.Result parallel = pgha("import", url, "--database", "shop_parallel", "--jobs", "3");
            assertThat(parallel.code()).as(parallel.toString()).isZero();
            assertThat(parallel.out()).contains("into database shop_parallel: ");
            try (Connection c = db(node, "shop_parallel", password)) {
                assertThat(one(c, "SELECT count(*) FROM sales.orders")).isEqualTo("100000");
                assertThat(one(c, "SELECT last_value || ' ' || is_called FROM sales.invoice_no"))
                        .isEqualTo("42 true");
            }
            try (Stream<Path> left = Files.list(Path.of(System.getProperty("java.io.tmpdir")))) {
                assertThat(left.map(f -> f.getFileName().toString())).noneMatch(n -> n.startsWith("pgha-import-dump-"));
            }
            assertThat(pgha("import", url, "--jobs", "0").err())
                    .isEqualTo("pgha: --jobs 0: give 1 to 64 parallel connections\n");

            PghaCli.Result again = pgha("import", url);
            assertThat(again.code()).isEqualTo(1);
            assertThat(again.err()).isEqualTo("pgha: database shop already exists: choose another with --database\n");

            // a source that does not answer: refused before anything is created, and its password never shown
            PghaCli.Result unreachable = pgha("import", "postgres://postgres:secret-pw@127.0.0.1:1/nowhere");
            assertThat(unreachable.code()).isEqualTo(1);
            assertThat(unreachable.err())
                    .startsWith("pgha: cannot reach the source database nowhere at 127.0.0.1:1 as postgres: ")
                    .endsWith("; nothing was imported\n")
                    .doesNotContain("secret-pw");
            assertThat(column("SELECT datname FROM pg_database")).doesNotContain("nowhere");

            // a restore that fails half-way (a table every new database here already has): the database goes again
            try (Connection c = db(node, "template1", password);
                    Statement st = c.createStatement()) {
                st.execute("CREATE TABLE public.clash (x int)");
            }
            try {
                PghaCli.Result failed = pgha("import", url, "--database", "shop_copy");
                assertThat(failed.code()).isEqualTo(1);
                assertThat(failed.err())
                        .startsWith("pgha: pg_restore failed (exit 1): ")
                        .contains("clash")
                        .endsWith("; database shop_copy was dropped again\n")
                        .doesNotContain(sourcePassword);
                assertThat(column("SELECT datname FROM pg_database")).doesNotContain("shop_copy");
            } finally {
                try (Connection c = db(node, "template1", password);
                        Statement st = c.createStatement()) {
                    st.execute("DROP TABLE public.clash");
                }
            }
        } finally {
            source.close();
        }
    }
}
