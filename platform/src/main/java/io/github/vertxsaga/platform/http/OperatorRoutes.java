package io.github.vertxsaga.platform.http;

import io.github.vertxsaga.platform.outbox.TransactionalOutbox;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.function.Supplier;

/** Routes every service has: liveness, readiness, the outbox backlog and its parked (dead-lettered) events. */
public final class OperatorRoutes {
  private final TransactionalOutbox outbox;
  private final Supplier<String> notReadyReason;

  /** @param notReadyReason null when ready, else what is missing */
  public OperatorRoutes(TransactionalOutbox outbox, Supplier<String> notReadyReason) {
    this.outbox = outbox;
    this.notReadyReason = notReadyReason;
  }

  public void mount(Router router) {
    router.get("/health").handler(ctx -> Json.ok(ctx, new JsonObject().put("status", "UP")));
    router.get("/ready").handler(this::ready);
    router.get("/admin/outbox").handler(ctx -> outbox.backlog().onSuccess(b -> Json.ok(ctx, b)).onFailure(ctx::fail));
    router.get("/admin/dead-letters").handler(this::deadLetters);
    router.post("/admin/dead-letters/:id/requeue").handler(this::requeue);
  }

  private void ready(RoutingContext ctx) {
    String missing = notReadyReason.get();
    if (missing == null) {
      Json.ok(ctx, new JsonObject().put("status", "READY"));
    } else {
      Problems.send(ctx.response(), 503, missing);
    }
  }

  private void deadLetters(RoutingContext ctx) {
    int limit = Paging.limit(ctx);
    outbox.deadLetters(limit)
        .onSuccess(items -> Json.ok(ctx, new JsonObject().put("service", outbox.serviceName()).put("items", items)))
        .onFailure(ctx::fail);
  }

  private void requeue(RoutingContext ctx) {
    long id = Paging.longParam(ctx.pathParam("id"), "id");
    outbox.requeue(id).onSuccess(found -> {
      if (found) {
        Json.send(ctx, 202, new JsonObject().put("id", id).put("status", "REQUEUED"));
      } else {
        ctx.fail(ApiException.notFound("no dead-lettered event with outbox id " + id));
      }
    }).onFailure(ctx::fail);
  }
}
