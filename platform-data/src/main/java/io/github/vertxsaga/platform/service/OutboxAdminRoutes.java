package io.github.vertxsaga.platform.service;

import io.github.vertxsaga.platform.http.ApiException;
import io.github.vertxsaga.platform.http.Json;
import io.github.vertxsaga.platform.http.Paging;
import io.github.vertxsaga.platform.outbox.TransactionalOutbox;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

/** The operator's routes of every service with an outbox: its backlog and its parked (dead-lettered) events. */
public final class OutboxAdminRoutes {
  private final TransactionalOutbox outbox;

  public OutboxAdminRoutes(TransactionalOutbox outbox) {
    this.outbox = outbox;
  }

  /** Mounts under {@code /admin}, which the caller has put behind the admin role. */
  public void mount(Router router) {
    router.get("/admin/outbox").handler(ctx -> outbox.backlog().onSuccess(b -> Json.ok(ctx, b)).onFailure(ctx::fail));
    router.get("/admin/dead-letters").handler(this::deadLetters);
    router.post("/admin/dead-letters/:id/requeue").handler(this::requeue);
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
