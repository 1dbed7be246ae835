package dev.pgha.app.cli;

import dev.pgha.common.PghaException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * A source database given as a URL (postgres://USER:PASSWORD@HOST:PORT/DATABASE?sslmode=require): its parts, the
 * libpq connection string without the password (for a command line), and the password-file line that carries the
 * password instead. Errors never quote the URL: it holds a password.
 */
record SourceUrl(String host, int port, String user, String password, String database, Map<String, String> options) {
    private static final Pattern OPTION = Pattern.compile("[a-z_]{1,40}");

    static SourceUrl parse(String url) {
        URI uri;
        try {
            uri = new URI(url);
        } catch (URISyntaxException e) {
            throw new PghaException("the source is not a URL such as postgres://USER:PASSWORD@HOST:5432/DATABASE");
        }
        if (!"postgres".equals(uri.getScheme()) && !"postgresql".equals(uri.getScheme())) {
            throw new PghaException("the source URL must start with postgres:// or postgresql://");
        }
        if (uri.getHost() == null) {
            throw new PghaException("the source URL has no host (postgres://USER:PASSWORD@HOST:5432/DATABASE)");
        }
        String userInfo = uri.getRawUserInfo();
        if (userInfo == null || userInfo.isEmpty()) {
            throw new PghaException("the source URL has no user (postgres://USER:PASSWORD@HOST:5432/DATABASE)");
        }
        int colon = userInfo.indexOf(':');
        String user = decode(colon < 0 ? userInfo : userInfo.substring(0, colon));
        String password = colon < 0 ? "" : decode(userInfo.substring(colon + 1));
        String path = uri.getRawPath() == null ? "" : uri.getRawPath();
        String database = path.length() > 1 ? decode(path.substring(1)) : user;
        Map<String, String> options = new LinkedHashMap<>();
        if (uri.getRawQuery() != null) {
            for (String pair : uri.getRawQuery().split("&")) {
                int eq = pair.indexOf('=');
                String key = eq < 0 ? pair : pair.substring(0, eq);
                if (!OPTION.matcher(key).matches() || key.equals("password")) {
                    throw new PghaException("the source URL has an option pgha does not pass on: give libpq "
                            + "options such as sslmode=require (and the password before the @)");
                }
                options.put(key, eq < 0 ? "" : decode(pair.substring(eq + 1)));
            }
        }
        String host = uri.getHost().startsWith("[")
                ? uri.getHost().substring(1, uri.getHost().length() - 1)
                : uri.getHost();
        return new SourceUrl(host, uri.getPort() < 0 ? 5432 : uri.getPort(), user, password, database, options);
    }

    private static String decode(String s) {
        return URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8);
    }

    /** libpq's connection string without the password, every value quoted. */
    String conninfo() {
        StringBuilder b = new StringBuilder();
        b.append("host=").append(Libpq.quote(host)).append(" port=").append(port);
        b.append(" user=").append(Libpq.quote(user)).append(" dbname=").append(Libpq.quote(database));
        b.append(" application_name=pgha-import");
        options.forEach((k, v) -> b.append(' ').append(k).append('=').append(Libpq.quote(v)));
        return b.toString();
    }

    String jdbcUrl() {
        return "jdbc:postgresql://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + port + "/"
                + Names.inUrl(database);
    }

    String passfileLine() {
        return Libpq.passfileLine(host, port, user, password);
    }

    /** "database shop at db.example.com:5432 as app" (no password). */
    String describe() {
        return "database " + database + " at " + host + ":" + port + " as " + user;
    }

    @Override
    public String toString() {
        return describe(); // never the password
    }
}
