package io.github.vertxsaga.gateway;

import io.github.vertxsaga.events.ServiceNames;
import io.github.vertxsaga.platform.http.ApiException;
import io.github.vertxsaga.platform.http.Json;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.List;

/**
 * The operator's view through the gateway (admin role): discovered instances with their breakers, the outbox health
 * and the parked events of every service, which each service serves on its own {@code /admin} routes.
 */
final class AdminRoutes {
  private static final List<String> SERVICES = List.of(ServiceNames.ORDER_SERVICE, ServiceNames.INVENTORY_SERVICE);

  private final UpstreamDirectory directory;
  private final ProxyHandler proxy;

  AdminRoutes(UpstreamDirectory directory, ProxyHandler proxy) {
    this.directory = directory;
    this.proxy = proxy;
  }

  void services(RoutingContext ctx) {
    Json.ok(ctx, new JsonObject().put("instances", directory.describe()));
  }

  void outbox(RoutingContext ctx) {
    outboxHealth(ProxyHandler.forwardedHeaders(ctx.request()))
        .onSuccess(services -> Json.ok(ctx, new JsonObject().put("services", services)))
        .onFailure(e -> ctx.fail(new ApiException(502, "cannot read the outbox health: " + e.getMessage())));
  }

  /** Each service's backlog, oldest undelivered age and dead letters, asked with the caller's {@code headers}. */
  Future<JsonArray> outboxHealth(MultiMap headers) {
    List<Future<JsonObject>> perService = SERVICES.stream().map(service -> proxy.exchange(service,
            new ProxyHandler.Outgoing(HttpMethod.GET, "/admin/outbox", headers, null))
        .compose(answer -> answer.status() == 200
            ? Future.succeededFuture(answer.body().toJsonObject().put("service", service))
            : Future.<JsonObject>failedFuture(service + " answered " + answer.status())))
        .toList();
    return Future.all(perService).map(all -> {
      JsonArray services = new JsonArray();
      perService.forEach(future -> services.add(future.result()));
      return services;
    });
  }

  /** Every service's parked events; an id is {@code service:outbox-id}, what requeue takes. */
  void deadLetters(RoutingContext ctx) {
    String limit = ctx.queryParams().get("limit");
    List<Future<JsonArray>> perService = SERVICES.stream().map(service -> proxy.exchange(service,
            new ProxyHandler.Outgoing(HttpMethod.GET, "/admin/dead-letters" + (limit == null ? "" : "?limit=" + limit),
                ProxyHandler.forwardedHeaders(ctx.request()), null))
        .compose(answer -> answer.status() == 200
            ? Future.succeededFuture(prefixed(service, answer.body().toJsonObject().getJsonArray("items")))
            : Future.<JsonArray>failedFuture(service + " answered " + answer.status())))
        .toList();
    Future.all(perService)
        .onSuccess(all -> {
          JsonArray items = new JsonArray();
          perService.forEach(future -> items.addAll(future.result()));
          Json.ok(ctx, new JsonObject().put("items", items));
        })
        .onFailure(e -> ctx.fail(new ApiException(502, "cannot list dead letters: " + e.getMessage())));
  }

  void requeue(RoutingContext ctx) {
    String[] id = ctx.pathParam("id").split(":", 2);
    proxy.exchange(id[0], new ProxyHandler.Outgoing(HttpMethod.POST, "/admin/dead-letters/" + id[1] + "/requeue",
            ProxyHandler.forwardedHeaders(ctx.request()), null))
        .onSuccess(answer -> ProxyHandler.relay(ctx, answer))
        .onFailure(e -> ProxyHandler.fail(ctx, id[0], e));
  }

  private static JsonArray prefixed(String service, JsonArray items) {
    JsonArray result = new JsonArray();
    items.forEach(item -> {
      JsonObject row = ((JsonObject) item).copy();
      row.put("id", service + ":" + row.getValue("id")).put("service", service);
      result.add(row);
    });
    return result;
  }
}
