package dev.pgha.app.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pgha.app.cli.Admin;
import dev.pgha.app.cli.CheckpointFirst;
import dev.pgha.app.cli.ClusterPause;
import dev.pgha.app.cli.ClusterSettings;
import dev.pgha.app.cli.LeaderChangeCommands;
import dev.pgha.app.cli.ParameterChanges;
import dev.pgha.app.cli.ReinitCommand;
import dev.pgha.app.cli.RestartCommand;
import dev.pgha.common.PghaException;
import dev.pgha.common.config.InvalidConfigException;
import dev.pgha.common.config.PghaConfig;
import dev.pgha.common.model.ClusterSpec;
import dev.pgha.common.model.ClusterView;
import dev.pgha.common.model.Json;
import dev.pgha.common.model.OperatorRequest;
import dev.pgha.common.model.Phase;
import dev.pgha.common.request.LeaderRequest;
import dev.pgha.common.secret.Secret;
import dev.pgha.common.store.ClusterSnapshot;
import dev.pgha.common.store.ClusterStore;
import dev.pgha.net.HttpAction;
import dev.pgha.net.HttpReply;
import dev.pgha.net.HttpRequestInfo;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.Writer;
import java.time.Duration;
import java.time.Instant;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The operations API on the health-check port, Patroni's calls where Patroni has them: POST /switchover
 * ({"leader": …, "candidate": …}), POST /failover ({"candidate": …}; in a leaderless cluster also {"force": true}),
 * POST /restart (this member's postgres), POST /reinitialize (this member's data, cloned again), GET and PATCH /config ({"postgresql": {"parameters": {…}}}, {"pause": true}
 * as patronictl pause sends it), POST /pause ({"until": …}) and /resume. Each runs the
 * same code as its CLI command and answers JSON, errors with the CLI's wording. Changes need the API token
 * ({@link ApiToken}) and, when the node has certificates, TLS; GET /config is open like the health checks.
 */
public final class OperationsApi {
    private static final Logger log = LoggerFactory.getLogger(OperationsApi.class);
    private static final Duration LEADER_CHANGE = Duration.ofSeconds(60);
    private static final PrintWriter SILENT = new PrintWriter(Writer.nullWriter());

    private final PghaConfig config;
    private final String memberId;
    private final ClusterStore store;
    private final String token;

    public OperationsApi(PghaConfig config, String memberId, ClusterStore store, Secret operatorPassword) {
        this.config = config;
        this.memberId = memberId;
        this.store = store;
        this.token = ApiToken.derive(operatorPassword, config.clusterName());
    }

    public Map<String, Function<HttpRequestInfo, HttpReply>> routes() {
        return Map.of("/config", r -> HttpReply.json(200, configJson().toPrettyString() + "\n"));
    }

    public Map<String, HttpAction> actions() {
        Duration waits = LEADER_CHANGE.plusSeconds(15);
        return Map.of(
                "POST /switchover", new HttpAction(r -> guarded(r, this::switchover), waits),
                "POST /failover", new HttpAction(r -> guarded(r, this::failover), waits),
                "POST /restart", new HttpAction(r -> guarded(r, b -> restart()), Duration.ofMinutes(5)),
                "POST /reinitialize", new HttpAction(r -> guarded(r, b -> reinitialize()), Duration.ofSeconds(30)),
                "PATCH /config", new HttpAction(r -> guarded(r, this::patchConfig), Duration.ofSeconds(60)),
                "POST /pause", new HttpAction(r -> guarded(r, this::pause), Duration.ofSeconds(30)),
                "POST /resume", new HttpAction(r -> guarded(r, b -> resume()), Duration.ofSeconds(30)));
    }

    /** Checks transport and credential, parses the body, runs {@code op}, and turns its failure into JSON. */
    private HttpReply guarded(HttpRequestInfo request, Function<JsonNode, ObjectNode> op) {
        if (config.tls().isPresent() && !request.secure()) {
            return error(403, "the operations API takes requests over TLS on this node: use https://");
        }
        if (!ApiToken.accepts(request.authorization(), token)) {
            return error(
                    401,
                    "the operations API needs the API token (pgha api-token prints it): "
                            + "Authorization: Bearer TOKEN, or basic auth as user " + ApiToken.BASIC_USER);
        }
        JsonNode body;
        try {
            byte[] raw = request.body();
            body = raw.length == 0
                    ? Json.mapper().createObjectNode()
                    : Json.mapper().readTree(raw);
            if (!body.isObject()) {
                return error(400, "the request body must be a JSON object");
            }
        } catch (IOException e) {
            return error(400, "the request body is not JSON");
        }
        log.info("operations API: {} requested", request);
        try {
            return HttpReply.json(200, op.apply(body).toPrettyString() + "\n");
        } catch (BadRequest e) {
            return error(400, e.getMessage());
        } catch (PghaException e) {
            log.info("operations API: {} refused: {}", request, e.getMessage());
            return error(412, e.getMessage());
        }
    }

    private ObjectNode switchover(JsonNode body) {
        if (body.hasNonNull("scheduled_at")) {
            throw new BadRequest("scheduled switchovers are not supported: send the request when it is due");
        }
        String leader = text(body, "leader");
        String candidate = text(body, "candidate");
        ClusterView view = view();
        if (leader != null && !leader.equals(view.leader())) {
            throw new PghaException("switchover refused: leader name does not match: the cluster's leader is "
                    + (view.leader() == null ? "none" : view.leader()));
        }
        return leaderChange(OperatorRequest.Kind.SWITCHOVER, candidate);
    }

    /** As Patroni: with a serving leader a failover to the candidate is a switchover; without one it needs force. */
    private ObjectNode failover(JsonNode body) {
        String candidate = text(body, "candidate");
        if (candidate == null) {
            throw new BadRequest("a failover needs a candidate: {\"candidate\": \"MEMBER\"}");
        }
        ClusterView view = view();
        if (view.leader() != null && view.phase() == Phase.NORMAL) {
            return leaderChange(OperatorRequest.Kind.SWITCHOVER, candidate);
        }
        if (!body.path("force").asBoolean(false)) {
            throw new PghaException("a forced failover may lose writes the lost leader acknowledged; add "
                    + "\"force\": true to promote " + candidate + " anyway");
        }
        return leaderChange(OperatorRequest.Kind.FAILOVER, candidate);
    }

    private ObjectNode leaderChange(OperatorRequest.Kind kind, String target) {
        if (kind == OperatorRequest.Kind.SWITCHOVER) {
            try (Admin admin = Admin.attached(config, store)) {
                CheckpointFirst.onLeader(admin).ifPresent(w -> log.warn("{}", w));
            }
        }
        LeaderRequest.Outcome o = LeaderRequest.run(store, kind, target, LEADER_CHANGE);
        ObjectNode n = Json.mapper().createObjectNode();
        n.put("message", LeaderChangeCommands.done(kind, o));
        n.put("from", o.from());
        n.put("to", o.to());
        n.put("generation", o.generation());
        n.put("held_seconds", o.held() == null ? null : o.held().toNanos() / 1e9);
        return n;
    }

    private ObjectNode restart() {
        try (Admin admin = Admin.attached(config, store)) {
            RestartCommand.restartOne(admin, memberId, SILENT);
        }
        ObjectNode n = Json.mapper().createObjectNode();
        n.put("message", "restarted " + memberId);
        n.putArray("restarted").add(memberId);
        return n;
    }

    /**
     * This member's data replaced by a fresh clone of the leader's (Patroni's call; refused on the leader). Answers
     * once the keeper has the request, as Patroni does: a clone takes as long as copying the database.
     */
    private ObjectNode reinitialize() {
        try (Admin admin = Admin.attached(config, store)) {
            ReinitCommand.reinitOne(admin, memberId, SILENT, false);
        }
        ObjectNode n = Json.mapper().createObjectNode();
        n.put(
                "message",
                "reinitialize started: re-cloning " + memberId + " from the leader (GET /cluster shows "
                        + "when it streams again)");
        return n;
    }

    /** {"until": "30m"} or {"until": "2026-11-29T22:00:00Z"}; without it, until POST /resume. */
    private ObjectNode pause(JsonNode body) {
        String until = text(body, "until", "a duration (30m) or a time with its offset");
        ClusterSpec.Pause p = ClusterPause.pause(store, until == null ? null : untilOf(until));
        return pauseJson(p, "paused " + ClusterPause.describe(p));
    }

    private ObjectNode resume() {
        Optional<ClusterSpec.Pause> ended = ClusterPause.resume(store);
        return pauseJson(
                null,
                ended.map(p -> "resumed (paused " + ClusterPause.describe(p) + ")")
                        .orElse("the cluster is not paused"));
    }

    private static Instant untilOf(String text) {
        try {
            return ClusterPause.until(text, Instant.now());
        } catch (PghaException e) {
            throw new BadRequest(e.getMessage().replace("--until", "until"));
        }
    }

    private static ObjectNode pauseJson(ClusterSpec.Pause p, String message) {
        ObjectNode n = Json.mapper().createObjectNode();
        n.put("message", message);
        n.put("pause", p != null);
        n.put("paused_since", p == null ? null : p.since().toString());
        n.put("paused_until", p == null || p.until() == null ? null : p.until().toString());
        return n;
    }

    /**
     * Any of {"postgresql": {"parameters": {…}}}, {"cluster": {"failTimeout": "5s", …}, "proxy": {"holdTimeout": …}}
     * (runtime settings; null resets one) and {"pause": true|false}; everything is checked before anything changes.
     */
    private ObjectNode patchConfig(JsonNode body) {
        Iterator<String> keys = body.fieldNames();
        while (keys.hasNext()) {
            String key = keys.next();
            if (!List.of("postgresql", "cluster", "proxy", "pause").contains(key)) {
                throw new BadRequest(
                        "postgres parameters, cluster settings and the pause change here ({\"postgresql\": "
                                + "{\"parameters\": {\"work_mem\": \"64MB\"}}}, {\"cluster\": {\"failTimeout\": \"5s\"}}, "
                                + "{\"pause\": true}); " + key + " is not one of them");
            }
        }
        JsonNode pause = body.get("pause");
        if (pause != null && !pause.isBoolean()) {
            throw new BadRequest("pause must be true or false");
        }
        Map<String, String> parameters = new LinkedHashMap<>();
        if (body.has("postgresql")) {
            JsonNode params = body.path("postgresql").path("parameters");
            if (!params.isObject() || params.isEmpty()) {
                throw new BadRequest("nothing to set: send {\"postgresql\": {\"parameters\": {\"NAME\": \"VALUE\"}}} "
                        + "(null resets one)");
            }
            parameters.putAll(ParameterChanges.checked(values(params, "")));
        }
        Map<String, String> settings = new LinkedHashMap<>();
        for (String section : List.of("cluster", "proxy")) {
            if (body.has(section)) {
                if (!body.get(section).isObject()) {
                    throw new BadRequest(section + " must be an object, e.g. {\"cluster\": {\"failTimeout\": \"5s\"}}");
                }
                settings.putAll(values(body.get(section), section + "."));
            }
        }
        try {
            ClusterSettings.check(settings);
        } catch (InvalidConfigException e) {
            throw new BadRequest(e.getMessage());
        }
        ParameterChanges.Result r = null;
        if (!parameters.isEmpty()) {
            try (Admin admin = Admin.attached(config, store)) {
                r = ParameterChanges.apply(admin, parameters, SILENT);
            }
        }
        ClusterSettings.Outcome applied = settings.isEmpty() ? null : ClusterSettings.apply(store, settings);
        if (pause != null) {
            if (pause.asBoolean()) {
                ClusterPause.pause(store, null);
            } else {
                ClusterPause.resume(store);
            }
        }
        ObjectNode n = configJson();
        if (r != null) {
            for (ParameterChanges.Change c : r.changed()) {
                n.withArray("changed")
                        .addObject()
                        .put("name", c.name())
                        .put("value", c.value())
                        .put("takes_effect", c.needsRestart() ? "restart" : "reload");
            }
            n.put("needs_restart", r.needsRestart());
        }
        if (applied != null) {
            applied.changes()
                    .forEach((name, value) -> n.withArray("changed")
                            .addObject()
                            .put("name", name)
                            .put("value", value.isEmpty() ? null : value)
                            .put("takes_effect", applied.applied() ? "now" : "once a sentinel is elected"));
        }
        return n;
    }

    /** The fields of {@code object} as text ("" for null), named with {@code prefix}. */
    private static Map<String, String> values(JsonNode object, String prefix) {
        Map<String, String> out = new LinkedHashMap<>();
        object.fields().forEachRemaining(e -> {
            if (e.getValue().isContainerNode()) {
                throw new BadRequest(prefix + e.getKey() + " must be a text, a number, a boolean or null");
            }
            out.put(
                    prefix + e.getKey(),
                    e.getValue().isNull() ? "" : e.getValue().asText());
        });
        return out;
    }

    private ObjectNode configJson() {
        ObjectNode n = Json.mapper().createObjectNode();
        ClusterSnapshot s = store.snapshot();
        ObjectNode p = n.putObject("postgresql").putObject("parameters");
        s.parameters().forEach(p::put);
        for (ClusterSettings.Shown c : ClusterSettings.show(s.spec())) {
            int dot = c.name().indexOf('.');
            n.with(c.name().substring(0, dot)).put(c.name().substring(dot + 1), c.value());
        }
        n.put("pause", s.spec().paused());
        return n;
    }

    private ClusterView view() {
        return store.view()
                .map(v -> v.value())
                .orElseThrow(() -> new PghaException("the cluster has no state in the store yet"));
    }

    private static String text(JsonNode body, String field) {
        return text(body, field, "a member's name");
    }

    private static String text(JsonNode body, String field, String what) {
        JsonNode v = body.get(field);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isTextual() || v.asText().isBlank()) {
            throw new BadRequest(field + " must be " + what);
        }
        return v.asText();
    }

    private static HttpReply error(int status, String message) {
        ObjectNode n = Json.mapper().createObjectNode();
        n.put("error", message);
        return HttpReply.json(status, n.toPrettyString() + "\n");
    }

    /** A request the API cannot take as sent (400), as opposed to one pgha refuses (412). */
    private static final class BadRequest extends RuntimeException {
        BadRequest(String message) {
            super(message, null, false, false);
        }
    }
}
