package io.github.vertxsaga.order;

import io.github.vertxsaga.events.LineItem;
import io.github.vertxsaga.events.Payloads.OrderCancelled;
import io.github.vertxsaga.events.Payloads.OrderPlaced;
import io.github.vertxsaga.platform.http.ApiException;
import io.github.vertxsaga.platform.http.Bodies;
import io.github.vertxsaga.platform.http.Json;
import io.github.vertxsaga.platform.http.Paging;
import io.github.vertxsaga.platform.http.RequestIds;
import io.github.vertxsaga.platform.outbox.TransactionalOutbox;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;

/** The HTTP API of order-service. An order and its event commit together; the answer is sent after the commit. */
final class OrderApi {
  static final int MAX_ITEMS = 100;
  static final int MAX_QUANTITY = 10_000;

  private final TransactionalOutbox outbox;
  private final OrderRepository repository;

  OrderApi(TransactionalOutbox outbox, OrderRepository repository) {
    this.outbox = outbox;
    this.repository = repository;
  }

  void mount(Router router) {
    router.post("/api/orders").handler(this::place);
    router.get("/api/orders").handler(this::list);
    router.get("/api/orders/:id").handler(this::get);
    router.post("/api/orders/:id/cancel").handler(this::cancel);
  }

  private void place(RoutingContext ctx) {
    Caller caller = Caller.of(ctx);
    List<LineItem> items = items(Bodies.object(ctx, Set.of("items")));
    long now = System.currentTimeMillis();
    Order order = new Order(UUID.randomUUID().toString(), caller.name(), OrderStatus.PENDING, items, null, 1, now, now);
    outbox.inTransaction(RequestIds.of(ctx), (c, events) -> {
      repository.insert(c, order);
      events.emit(new OrderPlaced(order.id(), order.customer(), order.items()), order.version());
      return order;
    }).onSuccess(placed -> {
      ctx.response().putHeader("Location", "/api/orders/" + placed.id());
      Json.send(ctx, 202, placed.toJson());
    }).onFailure(ctx::fail);
  }

  private void get(RoutingContext ctx) {
    Caller caller = Caller.of(ctx);
    String id = ctx.pathParam("id");
    outbox.database().read(c -> repository.find(c, id))
        .onSuccess(order -> Json.ok(ctx, visible(order.orElse(null), caller, id).toJson()))
        .onFailure(ctx::fail);
  }

  private void list(RoutingContext ctx) {
    OrderStatus status = status(ctx.queryParams().get("status"));
    int limit = Paging.limit(ctx);
    long offset = Paging.offset(ctx);
    outbox.database().read(c -> repository.list(c, status, limit, offset))
        .onSuccess(orders -> {
          JsonArray items = new JsonArray();
          orders.forEach(order -> items.add(order.toJson()));
          Json.ok(ctx, new JsonObject().put("items", items).put("limit", limit).put("offset", offset));
        })
        .onFailure(ctx::fail);
  }

  /** A PENDING or CONFIRMED order becomes CANCELLED; inventory releases whatever it holds or will hold for it. */
  private void cancel(RoutingContext ctx) {
    Caller caller = Caller.of(ctx);
    String id = ctx.pathParam("id");
    outbox.inTransaction(RequestIds.of(ctx), (c, events) -> {
      Order order = visible(repository.findForUpdate(c, id).orElse(null), caller, id);
      if (!order.status().cancellable()) {
        throw ApiException.conflict("order " + id + " is " + order.status() + " and cannot be cancelled");
      }
      Order cancelled = order.withStatus(OrderStatus.CANCELLED, null, System.currentTimeMillis());
      repository.update(c, cancelled);
      events.emit(new OrderCancelled(id, order.status().name()), cancelled.version());
      return cancelled;
    }).onSuccess(order -> Json.send(ctx, 202, order.toJson())).onFailure(ctx::fail);
  }

  private static Order visible(Order order, Caller caller, String id) {
    if (order == null || !caller.mayAccess(order)) {
      throw ApiException.notFound("no order " + id);
    }
    return order;
  }

  private static OrderStatus status(String raw) {
    if (raw == null) {
      return null;
    }
    try {
      return OrderStatus.valueOf(raw);
    } catch (IllegalArgumentException e) {
      throw ApiException.badRequest("'status' must be one of PENDING, CONFIRMED, REJECTED, CANCELLED");
    }
  }

  static List<LineItem> items(JsonObject body) {
    Object value = body.getValue("items");
    if (!(value instanceof JsonArray array)) {
      throw ApiException.badRequest(value == null ? "'items' is required" : "'items' must be an array");
    }
    if (array.isEmpty() || array.size() > MAX_ITEMS) {
      throw ApiException.badRequest("'items' must hold 1 to " + MAX_ITEMS + " lines");
    }
    List<LineItem> items = new ArrayList<>(array.size());
    for (int i = 0; i < array.size(); i++) {
      String path = "items[" + i + "].";
      if (!(array.getValue(i) instanceof JsonObject line)) {
        throw ApiException.badRequest("'items[" + i + "]' must be an object");
      }
      Bodies.onlyFields(line, Set.of("sku", "quantity"), path);
      Object sku = line.getValue("sku");
      String skuText = Bodies.sku(sku instanceof String s ? s : null, path + "sku");
      items.add(new LineItem(skuText, Bodies.integer(line, "quantity", path, 1, MAX_QUANTITY)));
    }
    return List.copyOf(items);
  }
}
