package dev.moeserve.router.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.moeserve.router.metrics.RouterMetrics;
import dev.moeserve.router.policy.PolicyConfigException;
import dev.moeserve.router.policy.PolicyFiles;
import dev.moeserve.router.policy.PolicyTable;
import dev.moeserve.router.policy.TableSpec;
import dev.moeserve.router.serving.PermissionDeniedException;
import dev.moeserve.router.serving.UnauthenticatedException;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.RoutingContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;

/**
 * {@code GET /admin/routing} shows the policy table in force; {@code PUT /admin/routing} replaces it with
 * the JSON table in the body. Both need {@code Authorization: Bearer TOKEN}: 401 without it, 403 with a
 * wrong one, and 403 for every call when no token is configured, so the API is never open.
 */
final class AdminApi {

    private static final Logger LOG = LoggerFactory.getLogger(AdminApi.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final PolicyTable table;
    private final RouterMetrics metrics;
    private final byte[] token;

    /** @param token the bearer token, or null to disable the admin API */
    AdminApi(PolicyTable table, RouterMetrics metrics, String token) {
        this.table = table;
        this.metrics = metrics;
        this.token = token == null ? null : token.getBytes(StandardCharsets.UTF_8);
    }

    /** Passes the request on when its bearer token is right, and otherwise responds with 401 or 403. */
    void authorize(RoutingContext ctx) {
        try {
            check(ctx.request().getHeader("authorization"));
            ctx.next();
        } catch (RuntimeException e) {
            LOG.warn("Admin call {} {} from {} rejected: {}", ctx.request().method(), ctx.request().path(),
                    ctx.request().remoteAddress(), e.getMessage());
            HttpErrors.respond(ctx.response(), e, null);
        }
    }

    void show(RoutingContext ctx) {
        ctx.response().putHeader("content-type", "application/json").end(Buffer.buffer(view(table.current())));
    }

    /** Replaces the table; compiling runs on a worker thread because the table's monitor may be held. */
    void replace(RoutingContext ctx) {
        byte[] body = ctx.body().buffer() == null ? new byte[0] : ctx.body().buffer().getBytes();
        ctx.vertx().executeBlocking(() -> {
            TableSpec spec = PolicyFiles.parseJson(body, "admin");
            return table.replace(spec, "admin");
        }).onComplete(result -> {
            if (result.succeeded()) {
                metrics.tableSwap("admin", true);
                LOG.info("Admin call from {} installed policy table {}", ctx.request().remoteAddress(),
                        result.result().version());
                ctx.response().putHeader("content-type", "application/json").end(Buffer.buffer(view(result.result())));
                return;
            }
            metrics.tableSwap("admin", false);
            if (result.cause() instanceof PolicyConfigException) {
                LOG.warn("Admin call from {} sent an invalid policy table: {}", ctx.request().remoteAddress(),
                        result.cause().getMessage());
            }
            HttpErrors.respond(ctx.response(), result.cause(), null);
        });
    }

    private void check(String authorization) {
        if (token == null) {
            throw new PermissionDeniedException("the admin API is disabled: start the router with "
                    + "--admin-token-file FILE or the MOE_ADMIN_TOKEN environment variable to enable it");
        }
        if (authorization == null || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
            throw new UnauthenticatedException("admin calls need the header 'Authorization: Bearer TOKEN'");
        }
        byte[] presented = authorization.substring(7).trim().getBytes(StandardCharsets.UTF_8);
        if (!MessageDigest.isEqual(presented, token)) {
            throw new PermissionDeniedException("the admin token is not valid");
        }
    }

    /** Returns the table as shown by {@code GET /admin/routing}. */
    static byte[] view(PolicyTable.Snapshot snapshot) {
        ObjectNode root = JSON.createObjectNode();
        root.put("version", snapshot.version());
        root.put("source", snapshot.source());
        root.put("installedAt", snapshot.installedAt().toString());
        ArrayNode arms = root.putArray("arms");
        double total = snapshot.totalWeight();
        for (PolicyTable.Arm arm : snapshot.arms()) {
            ObjectNode node = arms.addObject();
            node.put("name", arm.name());
            node.put("policy", arm.policy().kind());
            node.put("weight", arm.weight());
            node.put("share", arm.weight() / total);
        }
        if (snapshot.shadow() != null) {
            root.putObject("shadow").put("name", snapshot.shadow().name()).put("policy", snapshot.shadow().kind());
        } else {
            root.putNull("shadow");
        }
        root.put("stickyHeader", snapshot.stickyHeader());
        root.set("table", JSON.valueToTree(snapshot.spec()));
        try {
            return JSON.writeValueAsBytes(root);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException("the policy table could not be written as JSON", e);
        }
    }
}
