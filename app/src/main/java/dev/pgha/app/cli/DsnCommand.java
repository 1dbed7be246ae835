package dev.pgha.app.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pgha.common.model.Json;
import dev.pgha.common.model.MemberInfo;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(
        name = "dsn",
        mixinStandardHelpOptions = true,
        description = {
            "Print connection strings for apps (no password: give the app its user's, e.g. from pgha attach): the "
                    + "proxy (always the leader), the read-only port when one is configured, and, as an alternative "
                    + "without the proxy, libpq's and pgjdbc's multi-host forms that find the writable member themselves."
        })
public final class DsnCommand extends AdminCommand {
    @Option(
            names = {"-u", "--user"},
            paramLabel = "USER",
            defaultValue = "postgres",
            description = "User (default: ${DEFAULT-VALUE}).")
    String user;

    @Mixin
    DatabaseOption db;

    private String database;

    @Option(
            names = "--host",
            paramLabel = "HOST",
            description = "Host of the proxy and read-only URLs (default: <cluster>.internal).")
    String host;

    @Override
    void validate() {
        Names.check("user", user);
        database = db.checked();
    }

    @Override
    void run(Admin admin, PrintWriter out) {
        String proxyHost = host != null ? host : admin.config().clusterName() + ".internal";
        List<MemberInfo> members =
                new ArrayList<>(admin.store().snapshot().members().values());
        members.sort((a, b) -> a.id().compareTo(b.id()));
        String hosts = members.stream()
                .map(m -> (m.host().contains(":") ? "[" + m.host() + "]" : m.host()) + ":" + m.pgPort())
                .collect(Collectors.joining(","));
        String path = "/" + Names.inUrl(database);
        Map<String, String> urls = new LinkedHashMap<>();
        urls.put(
                "proxy",
                "postgres://" + Names.inUrl(user) + "@" + proxyHost + ":"
                        + admin.config().proxy().port() + path);
        int readOnly = admin.config().proxy().readOnlyPort();
        if (readOnly != 0) {
            urls.put("readOnly", "postgres://" + Names.inUrl(user) + "@" + proxyHost + ":" + readOnly + path);
        }
        urls.put(
                "multiHost",
                "postgres://" + Names.inUrl(user) + "@" + hosts + path + "?target_session_attrs=read-write");
        urls.put(
                "jdbc",
                "jdbc:postgresql://" + hosts + path + "?user=" + Names.inUrl(user) + "&targetServerType=primary");
        if (json()) {
            ObjectNode n = Json.mapper().createObjectNode();
            urls.forEach(n::put);
            out.print(n.toPrettyString() + "\n");
            return;
        }
        out.println("proxy (the leader, through any member's proxy):");
        out.println("  " + urls.get("proxy"));
        if (readOnly != 0) {
            out.println("read-only (replicas, proxy.readOnlyPort):");
            out.println("  " + urls.get("readOnly"));
        }
        out.println("without the proxy (libpq, and pgjdbc, find the writable member):");
        out.println("  " + urls.get("multiHost"));
        out.println("  " + urls.get("jdbc"));
    }
}
