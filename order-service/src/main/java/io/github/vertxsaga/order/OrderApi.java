package io.github.vertxsaga.order;

import io.github.vertxsaga.events.LineItem;
import io.github.vertxsaga.events.Payloads.OrderCancelled;
import io.github.vertxsaga.events.Payloads.OrderPlaced;
import io.github.vertxsaga.order.Idempotency.Answer;
import io.github.vertxsaga.platform.auth.Caller;
import io.github.vertxsaga.platform.http.ApiException;
import io.github.vertxsaga.platform.http.Bodies;
import io.github.vertxsaga.platform.http.Json;
import io.github.vertxsaga.platform.http.Paging;
import io.github.vertxsaga.platform.outbox.TransactionalOutbox;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/** The HTTP API of order-service. An order and its event commit together; the answer is sent after the commit. */
final class OrderApi {
  private final TransactionalOutbox outbox;
  private final OrderRepository repository;
  private final Idempotency idempotency;
  private final OrderBacklog backlog;
  private final OrderPlacement placement;

  OrderApi(TransactionalOutbox outbox, OrderRepository repository, Idempotency idempotency, OrderBacklog backlog) {
    this.outbox = outbox;
    this.repository = repository;
    this.idempotency = idempotency;
    this.backlog = backlog;
    this.placement = new OrderPlacement(outbox, repository);
  }

  void mount(Router router) {
    router.post("/api/orders").handler(this::place);
    router.get("/api/orders").handler(this::list);
    router.get("/api/orders/:id").handler(this::get);
    router.post("/api/orders/:id/cancel").handler(this::cancel);
  }

  private void place(RoutingContext ctx) {
    Caller caller = Caller.of(ctx);
    JsonObject body = Bodies.object(ctx, OrderRequests.ORDER_FIELDS);
    List<LineItem> items = OrderRequests.items(body);
    var claim = Idempotency.claim(caller.name(), ctx.request().getHeader(Idempotency.HEADER), "POST", "/api/orders",
        body);
    String refusal = backlog.refusal();
    if (refusal != null) {
      refuse(ctx, claim, refusal);
      return;
    }
    long now = System.currentTimeMillis();
    Order order = new Order(UUID.randomUUID().toString(), caller.name(), OrderStatus.PENDING, items, null, 1, now, now);
    Future<Answer> placed = claim.isEmpty()
        ? placement.place(order).map(o -> new Answer(202, o.toJson()))
        : idempotency.once(claim, (c, events) -> {
          repository.insert(c, order);
          events.emit(new OrderPlaced(order.id(), order.customer(), order.items()), order.version());
          return new Answer(202, order.toJson());
        });
    placed.onSuccess(answer -> {
      if (!answer.replayed()) {
        backlog.accepted();
      }
      ctx.response().putHeader("Location", "/api/orders/" + answer.body().getString("id"));
      send(ctx, answer);
    }).onFailure(ctx::fail);
  }

  /**
   * A new order while the backlog is past its bound: 503 with Retry-After, and nothing stored, so the same
   * Idempotency-Key is a new request when retried. A retry of an order already accepted still gets its answer.
   */
  private void refuse(RoutingContext ctx, Optional<Idempotency.Claim> claim, String refusal) {
    idempotency.replay(claim).onSuccess(stored -> {
      if (stored.isPresent()) {
        ctx.response().putHeader("Location", "/api/orders/" + stored.get().body().getString("id"));
        send(ctx, stored.get());
      } else {
        backlog.refused();
        ctx.response().putHeader("Retry-After", Integer.toString(OrderBacklog.RETRY_AFTER_S));
        ctx.fail(new ApiException(503, refusal));
      }
    }).onFailure(ctx::fail);
  }

  private void get(RoutingContext ctx) {
    Caller caller = Caller.of(ctx);
    String id = ctx.pathParam("id");
    outbox.database().read(c -> repository.find(c, id))
        .map(order -> OrderVisibility.visible(order.orElse(null), caller, id)) // a throw fails the future, not the loop
        .onSuccess(order -> Json.ok(ctx, order.toJson()))
        .onFailure(ctx::fail);
  }

  private void list(RoutingContext ctx) {
    Caller caller = Caller.of(ctx);
    OrderStatus status = OrderRequests.statusFilter(ctx.queryParams().get("status"));
    int limit = Paging.limit(ctx);
    long offset = Paging.offset(ctx);
    String customer = OrderVisibility.listedCustomer(caller);
    outbox.database().read(c -> repository.list(c, customer, status, limit, offset))
        .onSuccess(orders -> {
          JsonArray items = new JsonArray();
          orders.forEach(order -> items.add(order.toJson()));
          Json.ok(ctx, new JsonObject().put("items", items).put("limit", limit).put("offset", offset));
        })
        .onFailure(ctx::fail);
  }

  /**
   * A PENDING or CONFIRMED order becomes CANCELLING and OrderCancelled goes to inventory; the order is CANCELLED once
   * inventory answers that it holds nothing for it any more. An order in any other status is a 409.
   */
  private void cancel(RoutingContext ctx) {
    Caller caller = Caller.of(ctx);
    String id = ctx.pathParam("id");
    var claim = Idempotency.claim(caller.name(), ctx.request().getHeader(Idempotency.HEADER), "POST",
        "/api/orders/" + id + "/cancel", null);
    idempotency.once(claim, (c, events) -> {
      Order order = OrderVisibility.visible(repository.findForUpdate(c, id).orElse(null), caller, id);
      Order cancelling = order.after(OrderStatus.Trigger.CANCEL, null, System.currentTimeMillis()).orElseThrow(
          () -> ApiException.conflict("order " + id + " is " + order.status() + " and cannot be cancelled"));
      repository.update(c, cancelling);
      events.emit(new OrderCancelled(id, order.status().name()), cancelling.version());
      return new Answer(202, cancelling.toJson());
    }).onSuccess(answer -> send(ctx, answer)).onFailure(ctx::fail);
  }

  private static void send(RoutingContext ctx, Answer answer) {
    if (answer.replayed()) {
      ctx.response().putHeader("Idempotent-Replayed", "true");
    }
    Json.send(ctx, answer.status(), answer.body());
  }
}
