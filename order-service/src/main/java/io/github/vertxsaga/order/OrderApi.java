package io.github.vertxsaga.order;

import io.github.vertxsaga.events.LineItem;
import io.github.vertxsaga.events.Payloads.OrderCancelled;
import io.github.vertxsaga.events.Payloads.OrderPlaced;
import io.github.vertxsaga.platform.http.ApiException;
import io.github.vertxsaga.platform.http.Bodies;
import io.github.vertxsaga.platform.http.Json;
import io.github.vertxsaga.platform.http.Paging;
import io.github.vertxsaga.platform.http.RequestIds;
import io.github.vertxsaga.platform.auth.Caller;
import io.github.vertxsaga.platform.outbox.OutboxWork;
import io.github.vertxsaga.platform.outbox.TransactionalOutbox;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

/** The HTTP API of order-service. An order and its event commit together; the answer is sent after the commit. */
final class OrderApi {
  static final int MAX_ITEMS = 100;
  static final int MAX_QUANTITY = 10_000;

  private final TransactionalOutbox outbox;
  private final OrderRepository repository;
  private final IdempotencyKeys keys = new IdempotencyKeys();

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
    JsonObject body = Bodies.object(ctx, Set.of("items"));
    List<LineItem> items = items(body);
    var claim = IdempotencyKeys.claim(caller.name(), ctx.request().getHeader(IdempotencyKeys.HEADER), "POST",
        "/api/orders", body);
    idempotent(RequestIds.of(ctx), claim, (c, events) -> {
      long now = System.currentTimeMillis();
      Order order = new Order(UUID.randomUUID().toString(), caller.name(), OrderStatus.PENDING, items, null, 1, now, now);
      repository.insert(c, order);
      events.emit(new OrderPlaced(order.id(), order.customer(), order.items()), order.version());
      return new Answer(202, order.toJson());
    }).onSuccess(answer -> {
      ctx.response().putHeader("Location", "/api/orders/" + answer.body().getString("id"));
      send(ctx, answer);
    }).onFailure(ctx::fail);
  }

  private void get(RoutingContext ctx) {
    Caller caller = Caller.of(ctx);
    String id = ctx.pathParam("id");
    outbox.database().read(c -> repository.find(c, id))
        .map(order -> visible(order.orElse(null), caller, id)) // a throw here fails the future, not the event loop
        .onSuccess(order -> Json.ok(ctx, order.toJson()))
        .onFailure(ctx::fail);
  }

  private void list(RoutingContext ctx) {
    Caller caller = Caller.of(ctx);
    OrderStatus status = status(ctx.queryParams().get("status"));
    int limit = Paging.limit(ctx);
    long offset = Paging.offset(ctx);
    String owner = caller.isAdmin() ? null : caller.name(); // a customer lists only their own orders
    outbox.database().read(c -> repository.list(c, owner, status, limit, offset))
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
    var claim = IdempotencyKeys.claim(caller.name(), ctx.request().getHeader(IdempotencyKeys.HEADER), "POST",
        "/api/orders/" + id + "/cancel", null);
    idempotent(RequestIds.of(ctx), claim, (c, events) -> {
      Order order = visible(repository.findForUpdate(c, id).orElse(null), caller, id);
      if (!order.status().cancellable()) {
        throw ApiException.conflict("order " + id + " is " + order.status() + " and cannot be cancelled");
      }
      Order cancelled = order.withStatus(OrderStatus.CANCELLED, null, System.currentTimeMillis());
      repository.update(c, cancelled);
      events.emit(new OrderCancelled(id, order.status().name()), cancelled.version());
      return new Answer(202, cancelled.toJson());
    }).onSuccess(answer -> send(ctx, answer)).onFailure(ctx::fail);
  }

  /**
   * Runs a state change at most once per idempotency key: a stored answer is replayed; a duplicate racing on
   * another instance loses on the key's primary key, rolls back what it did, and replays the winner's answer.
   */
  private Future<Answer> idempotent(String traceId, Optional<IdempotencyKeys.Claim> claim, OutboxWork<Answer> work) {
    if (claim.isEmpty()) {
      return outbox.inTransaction(traceId, work);
    }
    IdempotencyKeys.Claim key = claim.get();
    return outbox.inTransaction(traceId, (c, events) -> {
      long now = System.currentTimeMillis();
      Optional<Answer> prior = keys.find(c, key, now);
      if (prior.isPresent()) {
        return prior.get().asReplay();
      }
      Answer answer = work.apply(c, events);
      if (!keys.store(c, key, answer, now)) {
        throw new DuplicateKey();
      }
      return answer;
    }).recover(e -> e instanceof DuplicateKey || isUniqueViolation(e)
        ? outbox.database().read(c -> keys.find(c, key, System.currentTimeMillis()))
            .map(stored -> stored.orElseThrow(() -> new IllegalStateException("idempotency key vanished")).asReplay())
        : Future.failedFuture(e));
  }

  private static void send(RoutingContext ctx, Answer answer) {
    if (answer.replayed()) {
      ctx.response().putHeader("Idempotent-Replayed", "true");
    }
    Json.send(ctx, answer.status(), answer.body());
  }

  private static boolean isUniqueViolation(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof java.sql.SQLException sql && "23505".equals(sql.getSQLState())) {
        return true;
      }
    }
    return false;
  }

  /** Lost the race for an idempotency key: roll back, then replay the winner's answer. */
  private static final class DuplicateKey extends RuntimeException {
    DuplicateKey() {
      super("idempotency key taken by a concurrent request", null, false, false);
    }
  }

  /** The order if the caller may see it; another customer's order is "not found", so ids do not leak. */
  private static Order visible(Order order, Caller caller, String id) {
    if (order == null || !(caller.isAdmin() || caller.name().equals(order.customer()))) {
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

  /** An answer to a state-changing request, as first sent or as replayed for a repeated idempotency key. */
  record Answer(int status, JsonObject body, boolean replayed) {
    Answer(int status, JsonObject body) {
      this(status, body, false);
    }

    Answer asReplay() {
      return new Answer(status, body, true);
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
      String skuText = Bodies.matching(sku instanceof String s ? s : null, LineItem.SKU, path + "sku");
      items.add(new LineItem(skuText, Bodies.integer(line, "quantity", path, 1, MAX_QUANTITY)));
    }
    return List.copyOf(items);
  }
}
