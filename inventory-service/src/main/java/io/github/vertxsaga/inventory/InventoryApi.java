package io.github.vertxsaga.inventory;

import io.github.vertxsaga.events.LineItem;
import io.github.vertxsaga.platform.auth.Authentication;
import io.github.vertxsaga.platform.http.ApiException;
import io.github.vertxsaga.platform.http.Bodies;
import io.github.vertxsaga.platform.http.Json;
import io.github.vertxsaga.platform.http.Paging;
import io.github.vertxsaga.platform.outbox.TransactionalOutbox;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.Set;

/** The HTTP API of inventory-service. */
final class InventoryApi {
  static final int MAX_RESTOCK = 1_000_000_000;

  private final TransactionalOutbox outbox;
  private final InventoryRepository repository;

  InventoryApi(TransactionalOutbox outbox, InventoryRepository repository) {
    this.outbox = outbox;
    this.repository = repository;
  }

  void mount(Router router) {
    router.get("/api/inventory").handler(this::list);
    router.get("/api/inventory/:sku").handler(this::get);
    router.post("/api/inventory/:sku/restock").handler(Authentication.adminOnly()).handler(this::restock);
  }

  private void list(RoutingContext ctx) {
    int limit = Paging.limit(ctx);
    long offset = Paging.offset(ctx);
    outbox.database().read(c -> repository.list(c, limit, offset))
        .onSuccess(items -> Json.ok(ctx, new JsonObject().put("items", items).put("limit", limit).put("offset", offset)))
        .onFailure(ctx::fail);
  }

  private void get(RoutingContext ctx) {
    String sku = Bodies.matching(ctx.pathParam("sku"), LineItem.SKU, "sku");
    outbox.database().read(c -> repository.find(c, sku))
        .onSuccess(item -> item.ifPresentOrElse(found -> Json.ok(ctx, found),
            () -> ctx.fail(ApiException.notFound("unknown SKU " + sku))))
        .onFailure(ctx::fail);
  }

  private void restock(RoutingContext ctx) {
    String sku = Bodies.matching(ctx.pathParam("sku"), LineItem.SKU, "sku");
    JsonObject body = Bodies.object(ctx, Set.of("quantity"));
    int quantity = Bodies.integer(body, "quantity", "", 1, MAX_RESTOCK);
    outbox.database().inTransaction(c -> repository.restock(c, sku, quantity, System.currentTimeMillis()))
        .onSuccess(item -> Json.ok(ctx, item))
        .onFailure(ctx::fail);
  }
}
