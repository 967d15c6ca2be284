package io.github.vertxsaga.systemtests.saga;

import static io.github.vertxsaga.platform.testing.Eventually.result;
import static org.assertj.core.api.Assertions.assertThat;

import io.github.vertxsaga.platform.testing.Eventually;
import io.github.vertxsaga.systemtests.Http;
import io.github.vertxsaga.systemtests.InJvmSystem;
import io.github.vertxsaga.systemtests.User;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * The saga tests' hands on an {@link InJvmSystem}: they act as the operator, who sees every order and may restock,
 * straight on the services' ports. It remembers what it restocked, which is what the stock invariant is checked
 * against once nothing is in flight.
 */
final class Operator {
  private static final Http.Caller ADMIN = Http.as(User.ADMIN);

  private final InJvmSystem system;
  private final Map<String, Long> restocked = new ConcurrentHashMap<>();

  Operator(InJvmSystem system) {
    this.system = system;
  }

  InJvmSystem system() {
    return system;
  }

  /** A SKU no other test uses. */
  static String sku(String name) {
    return name + "-" + UUID.randomUUID().toString().substring(0, 8);
  }

  /** An order body from alternating SKUs and quantities: {@code items("A", 2, "B", 1)}. */
  static JsonObject items(Object... skusAndQuantities) {
    JsonArray items = new JsonArray();
    for (int i = 0; i < skusAndQuantities.length; i += 2) {
      items.add(new JsonObject().put("sku", skusAndQuantities[i]).put("quantity", skusAndQuantities[i + 1]));
    }
    return new JsonObject().put("items", items);
  }

  static JsonObject json(Http.Reply reply, int expectedStatus) {
    assertThat(reply.status()).as("status of a response with body " + reply.body()).isEqualTo(expectedStatus);
    return reply.json();
  }

  /** The id of a placed order, once its answer is checked: 202, PENDING, and its Location. */
  static String placed(Http.Reply reply) {
    JsonObject order = json(reply, 202);
    assertThat(order.getString("status")).isEqualTo("PENDING");
    assertThat(reply.header("Location")).isEqualTo("/api/orders/" + order.getString("id"));
    return order.getString("id");
  }

  JsonObject restock(String sku, int quantity) {
    return restock(system::inventoryService, sku, quantity);
  }

  JsonObject restockThroughGateway(String sku, int quantity) {
    return restock(system::gateway, sku, quantity);
  }

  private JsonObject restock(Function<String, URI> at, String sku, int quantity) {
    JsonObject item = json(ADMIN.post(at.apply("/api/inventory/" + sku + "/restock"),
        new JsonObject().put("quantity", quantity)), 200);
    restocked.merge(sku, (long) quantity, Long::sum);
    return item;
  }

  /** The stock of a SKU, as inventory-service reports it. */
  Stock stock(String sku) {
    JsonObject item = json(ADMIN.get(system.inventoryService("/api/inventory/" + sku)), 200);
    return new Stock(item.getLong("available"), item.getLong("reserved"));
  }

  record Stock(long available, long reserved) {
  }

  /** Places an order on order-service; returns its id. */
  String place(Object... skusAndQuantities) {
    return placed(ADMIN.post(system.orderService("/api/orders"), items(skusAndQuantities)));
  }

  JsonObject order(String id) {
    return json(ADMIN.get(system.orderService("/api/orders/" + id)), 200);
  }

  /** Waits until the order has left PENDING, and returns it. */
  JsonObject settled(String id) {
    return Eventually.value("order " + id + " is no longer PENDING", InJvmSystem.SETTLE, () -> {
      JsonObject order = order(id);
      return "PENDING".equals(order.getString("status")) ? Optional.empty() : Optional.of(order);
    });
  }

  Http.Reply cancel(String id) {
    return ADMIN.post(system.orderService("/api/orders/" + id + "/cancel"));
  }

  /** Every order (all pages), or those with one status. */
  List<JsonObject> orders(String status) {
    return everyPage(system::orderService, "/api/orders?" + (status == null ? "" : "status=" + status + "&"));
  }

  List<JsonObject> stockList() {
    return everyPage(system::inventoryService, "/api/inventory?");
  }

  private static List<JsonObject> everyPage(Function<String, URI> at, String query) {
    List<JsonObject> all = new ArrayList<>();
    for (int offset = 0; ; offset += 500) {
      JsonArray page = json(ADMIN.get(at.apply(query + "limit=500&offset=" + offset)), 200).getJsonArray("items");
      page.forEach(item -> all.add((JsonObject) item));
      if (page.size() < 500) {
        return all;
      }
    }
  }

  JsonObject orderOutbox() {
    return json(ADMIN.get(system.orderService("/admin/outbox")), 200);
  }

  JsonObject inventoryOutbox() {
    return json(ADMIN.get(system.inventoryService("/admin/outbox")), 200);
  }

  /** Rows in order-service's outbox, delivered or not. */
  long orderOutboxRows() {
    return result(system.orderServiceHost().database().read(c -> {
      try (var ps = c.prepareStatement("SELECT COUNT(*) FROM outbox"); var rs = ps.executeQuery()) {
        rs.next();
        return rs.getLong(1);
      }
    }));
  }

  // ---- the invariant ----

  /** Waits until no order is PENDING or CANCELLING and neither outbox has anything left to deliver: nothing in flight. */
  void awaitAtRest() {
    Eventually.until("no order is PENDING or CANCELLING and both outboxes are drained", InJvmSystem.SETTLE,
        () -> orders("PENDING").isEmpty() && orders("CANCELLING").isEmpty() && inFlight(orderOutbox()) == 0
            && inFlight(inventoryOutbox()) == 0);
  }

  /** Undelivered rows the relay still works on; parked ones are checked, with a clearer message, by the invariant. */
  private static long inFlight(JsonObject backlog) {
    return backlog.getLong("undelivered") - backlog.getLong("deadLettered");
  }

  /**
   * At rest, for every SKU: nothing is created or lost (available + reserved is what was restocked) and what is
   * reserved is exactly what the CONFIRMED orders hold. Nothing is parked as dead-lettered.
   */
  void assertInvariantAtRest() {
    awaitAtRest();
    Map<String, Long> heldByConfirmed = new HashMap<>();
    for (JsonObject order : orders("CONFIRMED")) {
      order.getJsonArray("items").forEach(line -> {
        JsonObject item = (JsonObject) line;
        heldByConfirmed.merge(item.getString("sku"), item.getLong("quantity"), Long::sum);
      });
    }
    List<JsonObject> stock = stockList();
    assertThat(stock).extracting(item -> item.getString("sku")).containsExactlyInAnyOrderElementsOf(restocked.keySet());
    for (JsonObject item : stock) {
      String sku = item.getString("sku");
      assertThat(item.getLong("available") + item.getLong("reserved")).as("available + reserved of " + sku)
          .isEqualTo(restocked.get(sku));
      assertThat(item.getLong("reserved")).as("reserved of " + sku + " against the CONFIRMED orders")
          .isEqualTo(heldByConfirmed.getOrDefault(sku, 0L));
    }
    assertThat(orderOutbox().getLong("deadLettered")).as("order-service dead letters").isZero();
    assertThat(inventoryOutbox().getLong("deadLettered")).as("inventory-service dead letters").isZero();
  }
}
