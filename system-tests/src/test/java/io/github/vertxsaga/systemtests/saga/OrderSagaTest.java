package io.github.vertxsaga.systemtests.saga;

import static io.github.vertxsaga.platform.testing.Eventually.result;
import static io.github.vertxsaga.systemtests.saga.SagaSystem.items;
import static io.github.vertxsaga.systemtests.saga.SagaSystem.json;
import static io.github.vertxsaga.systemtests.saga.SagaSystem.sku;
import static org.assertj.core.api.Assertions.assertThat;

import io.github.vertxsaga.events.Addresses;
import io.github.vertxsaga.events.EventEnvelope;
import io.github.vertxsaga.events.LineItem;
import io.github.vertxsaga.events.Payloads;
import io.github.vertxsaga.platform.outbox.InboxConsumer;
import io.github.vertxsaga.platform.testing.Eventually;
import io.github.vertxsaga.platform.testing.TestDatabases;
import io.github.vertxsaga.platform.testing.TestDatabases.Kind;
import io.github.vertxsaga.systemtests.saga.SagaSystem.Stock;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The order saga end to end: both services and the gateway in this JVM, clustered, each on its own fresh database,
 * driven through real HTTP. One system per database kind, shared by the tests; each test uses SKUs of its own and
 * ends by checking the stock invariant over everything at rest.
 */
class OrderSagaTest {
  private static final Map<Kind, SagaSystem> systems = new EnumMap<>(Kind.class);

  static List<Kind> databases() {
    return TestDatabases.available();
  }

  @BeforeAll
  static void postgresWhenRequired() {
    TestDatabases.assertPostgresWhenRequired();
  }

  @AfterAll
  static void stopSystems() {
    systems.values().forEach(SagaSystem::close);
    systems.clear();
  }

  private static SagaSystem system(Kind kind) {
    return systems.computeIfAbsent(kind, k -> {
      SagaSystem system = SagaSystem.start(k, "saga");
      system.startGateway();
      return system;
    });
  }

  @ParameterizedTest(name = "on {0}")
  @MethodSource("databases")
  @DisplayName("an order for stock that is there is CONFIRMED and its stock moves from available to reserved")
  void orderIsConfirmed(Kind kind) {
    SagaSystem system = system(kind);
    String bolt = sku("bolt");
    String nut = sku("nut");
    system.restock(bolt, 10);
    system.restock(nut, 4);

    String id = system.place(bolt, 2, nut, 1, bolt, 1);

    JsonObject order = system.settled(id);
    assertThat(order.getString("status")).isEqualTo("CONFIRMED");
    assertThat(order.containsKey("reason")).isFalse();
    assertThat(system.stock(bolt)).isEqualTo(new Stock(7, 3));
    assertThat(system.stock(nut)).isEqualTo(new Stock(3, 1));
    system.assertInvariantAtRest();
  }

  @ParameterizedTest(name = "on {0}")
  @MethodSource("databases")
  @DisplayName("the same order flow works through the gateway")
  void orderThroughTheGateway(Kind kind) {
    SagaSystem system = system(kind);
    int gateway = system.gatewayPort();
    String washer = sku("washer");
    assertThat(system.restock(gateway, washer, 5).getLong("available")).isEqualTo(5);

    String id = SagaSystem.placed(system.call(HttpMethod.POST, gateway, "/api/orders", items(washer, 2)));

    JsonObject order = Eventually.value("the order is settled, seen through the gateway", SagaSystem.SETTLE, () -> {
      JsonObject seen = json(system.call(HttpMethod.GET, gateway, "/api/orders/" + id, null), 200);
      return "PENDING".equals(seen.getString("status")) ? Optional.empty() : Optional.of(seen);
    });
    assertThat(order.getString("status")).isEqualTo("CONFIRMED");
    JsonObject item = json(system.call(HttpMethod.GET, gateway, "/api/inventory/" + washer, null), 200);
    assertThat(item.getLong("available")).isEqualTo(3);
    assertThat(item.getLong("reserved")).isEqualTo(2);
    system.assertInvariantAtRest();
  }

  @ParameterizedTest(name = "on {0}")
  @MethodSource("databases")
  @DisplayName("an order for more than is in stock is REJECTED with a reason naming the SKU, and takes nothing")
  void insufficientStockIsRejected(Kind kind) {
    SagaSystem system = system(kind);
    String plenty = sku("plenty");
    String scarce = sku("scarce");
    system.restock(plenty, 5);
    system.restock(scarce, 1);

    JsonObject order = system.settled(system.place(plenty, 2, scarce, 2));

    assertThat(order.getString("status")).isEqualTo("REJECTED");
    assertThat(order.getString("reason")).contains("insufficient stock").contains(scarce);
    assertThat(system.stock(plenty)).as("the line that could be reserved is not").isEqualTo(new Stock(5, 0));
    assertThat(system.stock(scarce)).isEqualTo(new Stock(1, 0));
    system.assertInvariantAtRest();
  }

  @ParameterizedTest(name = "on {0}")
  @MethodSource("databases")
  @DisplayName("an order for an unknown SKU is REJECTED with a reason naming it, and takes nothing")
  void unknownSkuIsRejected(Kind kind) {
    SagaSystem system = system(kind);
    String known = sku("known");
    String unknown = sku("unknown");
    system.restock(known, 3);

    JsonObject order = system.settled(system.place(known, 1, unknown, 1));

    assertThat(order.getString("status")).isEqualTo("REJECTED");
    assertThat(order.getString("reason")).isEqualTo("unknown SKU " + unknown);
    assertThat(system.stock(known)).isEqualTo(new Stock(3, 0));
    HttpResponse<Buffer> missing = system.call(HttpMethod.GET, system.inventoryPort(), "/api/inventory/" + unknown, null);
    assertThat(missing.statusCode()).isEqualTo(404);
    assertThat(missing.getHeader("Content-Type")).isEqualTo("application/problem+json");
    system.assertInvariantAtRest();
  }

  @ParameterizedTest(name = "on {0}")
  @MethodSource("databases")
  @DisplayName("cancelling a CONFIRMED order makes it CANCELLED and gives its stock back")
  void cancelledOrderReleasesStock(Kind kind) {
    SagaSystem system = system(kind);
    String gear = sku("gear");
    system.restock(gear, 6);
    String id = system.place(gear, 4);
    assertThat(system.settled(id).getString("status")).isEqualTo("CONFIRMED");
    assertThat(system.stock(gear)).isEqualTo(new Stock(2, 4));

    JsonObject cancelling = json(system.cancel(id), 202);

    assertThat(cancelling.getString("status")).isEqualTo("CANCELLING");
    Eventually.until("the stock of the cancelled order is released", SagaSystem.SETTLE,
        () -> system.stock(gear).equals(new Stock(6, 0)));
    system.assertInvariantAtRest();
    assertThat(system.order(id).getString("status")).isEqualTo("CANCELLED");
    HttpResponse<Buffer> again = system.cancel(id);
    assertThat(again.statusCode()).as("cancelling twice").isEqualTo(409);
    assertThat(again.getHeader("Content-Type")).isEqualTo("application/problem+json");
  }

  @ParameterizedTest(name = "on {0}")
  @MethodSource("databases")
  @DisplayName("a cancel answers CANCELLING, and once the order reads CANCELLED its stock is already back")
  void cancelledMeansReleased(Kind kind) {
    SagaSystem system = system(kind);
    String belt = sku("belt");
    system.restock(belt, 5);
    String id = system.place(belt, 3);
    assertThat(system.settled(id).getString("status")).isEqualTo("CONFIRMED");

    JsonObject answer = json(system.cancel(id), 202);

    assertThat(answer.getString("id")).isEqualTo(id);
    assertThat(answer.getString("status")).isEqualTo("CANCELLING");
    Eventually.until("the order reads CANCELLED", SagaSystem.SETTLE,
        () -> "CANCELLED".equals(system.order(id).getString("status")));
    assertThat(system.stock(belt)).as("the stock, read right after the order read CANCELLED").isEqualTo(new Stock(5, 0));
    system.assertInvariantAtRest();
  }

  @ParameterizedTest(name = "on {0}")
  @MethodSource("databases")
  @DisplayName("orders cancelled as soon as they are placed, most before inventory has answered, all end CANCELLED "
      + "with nothing held")
  void ordersCancelledAtOnceEndCancelled(Kind kind) {
    SagaSystem system = system(kind);
    String strap = sku("strap");
    system.restock(strap, 8);

    List<String> ids = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      String id = system.place(strap, 1);
      assertThat(json(system.cancel(id), 202).getString("status")).isEqualTo("CANCELLING");
      ids.add(id);
    }

    Eventually.until("every cancelled order reads CANCELLED", SagaSystem.SETTLE,
        () -> ids.stream().allMatch(id -> "CANCELLED".equals(system.order(id).getString("status"))));
    assertThat(system.stock(strap)).isEqualTo(new Stock(8, 0));
    system.assertInvariantAtRest();
  }

  @ParameterizedTest(name = "on {0}")
  @MethodSource("databases")
  @DisplayName("a cancel that overtakes a parked OrderPlaced ends CANCELLED, and that OrderPlaced, delivered later, "
      + "reserves nothing")
  void cancelOvertakingAParkedOrderPlaced(Kind kind) {
    SagaSystem system = system(kind);
    String hinge = sku("hinge");
    system.restock(hinge, 4);
    // A PENDING order whose OrderPlaced inventory has not seen, as when it was dead-lettered: the cancel comes first.
    String id = UUID.randomUUID().toString();
    List<LineItem> lines = List.of(new LineItem(hinge, 2));
    insertPendingOrder(system, id, lines);

    JsonObject answer = json(system.cancel(id), 202);

    assertThat(answer.getString("status")).isEqualTo("CANCELLING");
    Eventually.until("the order reads CANCELLED", SagaSystem.SETTLE,
        () -> "CANCELLED".equals(system.order(id).getString("status")));
    assertThat(system.stock(hinge)).isEqualTo(new Stock(4, 0));

    // The parked OrderPlaced, requeued by an operator, arrives at last.
    EventEnvelope placed = EventEnvelope.wrap(new Payloads.OrderPlaced(id, "anonymous", lines), "late-" + id, 1,
        Instant.now());
    assertThat(result(system.orderHost().node().vertx().eventBus().<String>request(Addresses.INVENTORY_EVENTS, placed))
        .body()).isEqualTo(InboxConsumer.APPLIED);
    system.assertInvariantAtRest();
    assertThat(system.order(id).getString("status")).isEqualTo("CANCELLED");
    assertThat(system.stock(hinge)).as("nothing reserved for a cancelled order").isEqualTo(new Stock(4, 0));
  }

  @ParameterizedTest(name = "on {0}")
  @MethodSource("databases")
  @DisplayName("a REJECTED order cannot be cancelled: 409, and it stays REJECTED")
  void rejectedOrderCannotBeCancelled(Kind kind) {
    SagaSystem system = system(kind);
    String rare = sku("rare");
    system.restock(rare, 1);
    String id = system.place(rare, 2);
    assertThat(system.settled(id).getString("status")).isEqualTo("REJECTED");

    HttpResponse<Buffer> refused = system.cancel(id);

    assertThat(refused.statusCode()).isEqualTo(409);
    assertThat(refused.getHeader("Content-Type")).isEqualTo("application/problem+json");
    assertThat(refused.bodyAsJsonObject().getString("detail")).contains(id).contains("REJECTED");
    assertThat(system.order(id).getString("status")).isEqualTo("REJECTED");
    assertThat(system.stock(rare)).isEqualTo(new Stock(1, 0));
    system.assertInvariantAtRest();
  }

  @ParameterizedTest(name = "on {0}")
  @MethodSource("databases")
  @DisplayName("60 concurrent orders of one unit for 25 in stock: exactly 25 CONFIRMED, 35 REJECTED, never oversold")
  void concurrentOrdersNeverOversell(Kind kind) {
    SagaSystem system = system(kind);
    String hot = sku("hot");
    system.restock(hot, 25);

    List<Future<HttpResponse<Buffer>>> requests = IntStream.range(0, 60)
        .mapToObj(i -> system.callAsync(HttpMethod.POST, system.orderPort(), "/api/orders", items(hot, 1)))
        .toList();
    List<String> ids = requests.stream().map(request -> SagaSystem.placed(result(request))).toList();

    List<Stock> seen = new ArrayList<>();
    Map<String, Long> outcomes = Eventually.value("all 60 orders are settled", SagaSystem.SETTLE, () -> {
      seen.add(system.stock(hot));
      Map<String, Long> byStatus = ids.stream().map(id -> system.order(id).getString("status"))
          .collect(Collectors.groupingBy(status -> status, Collectors.counting()));
      return byStatus.containsKey("PENDING") ? Optional.empty() : Optional.of(byStatus);
    });

    assertThat(outcomes).containsExactlyInAnyOrderEntriesOf(Map.of("CONFIRMED", 25L, "REJECTED", 35L));
    assertThat(system.stock(hot)).isEqualTo(new Stock(0, 25));
    assertThat(seen).as("stock while the orders were decided")
        .allSatisfy(stock -> {
          assertThat(stock.available()).isBetween(0L, 25L);
          assertThat(stock.available() + stock.reserved()).isEqualTo(25L);
        });
    system.assertInvariantAtRest();
  }

  @ParameterizedTest(name = "on {0}")
  @MethodSource("databases")
  @DisplayName("an OrderPlaced delivered twice to inventory-service is applied once: the second answer is 'duplicate'")
  void duplicateDeliveryIsAppliedOnce(Kind kind) {
    SagaSystem system = system(kind);
    String cog = sku("cog");
    system.restock(cog, 10);
    // An order order-service knows, whose OrderPlaced the test delivers itself, twice, from order-service's node.
    String id = UUID.randomUUID().toString();
    List<LineItem> lines = List.of(new LineItem(cog, 3));
    insertPendingOrder(system, id, lines);
    EventEnvelope placed = EventEnvelope.wrap(new Payloads.OrderPlaced(id, "anonymous", lines), "dup-" + id, 1,
        Instant.now());
    var bus = system.orderHost().node().vertx().eventBus();

    String first = result(bus.<String>request(Addresses.INVENTORY_EVENTS, placed)).body();
    String second = result(bus.<String>request(Addresses.INVENTORY_EVENTS, placed)).body();

    assertThat(first).isEqualTo(InboxConsumer.APPLIED);
    assertThat(second).isEqualTo(InboxConsumer.DUPLICATE);
    assertThat(system.settled(id).getString("status")).isEqualTo("CONFIRMED");
    assertThat(system.stock(cog)).as("reserved once").isEqualTo(new Stock(7, 3));
    system.assertInvariantAtRest();
  }

  @ParameterizedTest(name = "on {0}")
  @MethodSource("databases")
  @DisplayName("an answer order-service keeps refusing is dead-lettered, listed on /admin/dead-letters, and delivered "
      + "once an operator requeues it")
  void deadLetterIsRequeuedOverHttp(Kind kind) {
    SagaSystem system = system(kind);
    String pin = sku("pin");
    system.restock(pin, 4);
    // OrderPlaced for an order order-service does not know (yet): inventory reserves, order-service refuses the answer.
    String id = UUID.randomUUID().toString();
    List<LineItem> lines = List.of(new LineItem(pin, 1));
    EventEnvelope placed = EventEnvelope.wrap(new Payloads.OrderPlaced(id, "anonymous", lines), "dl-" + id, 1,
        Instant.now());
    assertThat(result(system.orderHost().node().vertx().eventBus().<String>request(Addresses.INVENTORY_EVENTS, placed))
        .body()).isEqualTo(InboxConsumer.APPLIED);

    JsonObject letter = Eventually.value("inventory's answer is dead-lettered", SagaSystem.SETTLE, () -> {
      JsonObject page = json(system.call(HttpMethod.GET, system.inventoryPort(), "/admin/dead-letters", null), 200);
      return page.getJsonArray("items").stream().map(JsonObject.class::cast)
          .filter(item -> id.equals(item.getString("aggregateId"))).findFirst();
    });
    assertThat(letter.getString("type")).isEqualTo("InventoryReserved");
    assertThat(letter.getString("destination")).isEqualTo(Addresses.ORDER_EVENTS);
    assertThat(letter.getInteger("failures")).isEqualTo(SagaSystem.OUTBOX.maxFailures());
    assertThat(letter.getString("error")).contains("unknown order " + id);
    assertThat(system.outbox(system.inventoryPort()).getLong("deadLettered")).isOne();

    insertPendingOrder(system, id, lines);
    HttpResponse<Buffer> requeued = system.call(HttpMethod.POST, system.inventoryPort(),
        "/admin/dead-letters/" + letter.getLong("id") + "/requeue", null);

    assertThat(json(requeued, 202).getString("status")).isEqualTo("REQUEUED");
    assertThat(system.settled(id).getString("status")).isEqualTo("CONFIRMED");
    assertThat(system.stock(pin)).isEqualTo(new Stock(3, 1));
    assertProblem(system.call(HttpMethod.POST, system.inventoryPort(),
        "/admin/dead-letters/" + letter.getLong("id") + "/requeue", null), 404);
    system.assertInvariantAtRest();
  }

  private static void insertPendingOrder(SagaSystem system, String id, List<LineItem> lines) {
    long now = System.currentTimeMillis();
    result(system.orderHost().database().inTransaction(c -> {
      try (var ps = c.prepareStatement("""
          INSERT INTO orders (id, customer, status, items, reason, version, created_at, updated_at)
          VALUES (?, 'anonymous', 'PENDING', ?, NULL, 1, ?, ?)""")) {
        ps.setString(1, id);
        ps.setString(2, LineItem.toJson(lines).encode());
        ps.setLong(3, now);
        ps.setLong(4, now);
        return ps.executeUpdate();
      }
    }));
  }

  static Stream<Arguments> badOrders() {
    Map<String, String> bodies = new java.util.LinkedHashMap<>();
    bodies.put("no body", "");
    bodies.put("malformed JSON", "{\"items\": [{\"sku\": \"A\", \"quantity\": 1}");
    bodies.put("a JSON array, not an object", "[{\"sku\": \"A\", \"quantity\": 1}]");
    bodies.put("no items", "{}");
    bodies.put("an empty item list", "{\"items\": []}");
    bodies.put("quantity 0", "{\"items\": [{\"sku\": \"A\", \"quantity\": 0}]}");
    bodies.put("quantity -1", "{\"items\": [{\"sku\": \"A\", \"quantity\": -1}]}");
    bodies.put("quantity 1.5", "{\"items\": [{\"sku\": \"A\", \"quantity\": 1.5}]}");
    bodies.put("quantity \"2\"", "{\"items\": [{\"sku\": \"A\", \"quantity\": \"2\"}]}");
    bodies.put("no quantity", "{\"items\": [{\"sku\": \"A\"}]}");
    bodies.put("a SKU with a space", "{\"items\": [{\"sku\": \"A B\", \"quantity\": 1}]}");
    bodies.put("an unknown field", "{\"items\": [{\"sku\": \"A\", \"quantity\": 1}], \"coupon\": \"FREE\"}");
    bodies.put("an unknown field in a line", "{\"items\": [{\"sku\": \"A\", \"quantity\": 1, \"colour\": \"red\"}]}");
    return databases().stream().flatMap(kind -> bodies.entrySet().stream()
        .map(bad -> Arguments.of(kind, bad.getKey(), bad.getValue())));
  }

  @ParameterizedTest(name = "on {0}: {1}")
  @MethodSource("badOrders")
  @DisplayName("an order with bad input is a 400 problem and writes nothing")
  void badOrderWritesNothing(Kind kind, String what, String body) {
    SagaSystem system = system(kind);
    system.awaitAtRest();
    long outboxRows = system.orderOutboxRows();
    long undelivered = system.outbox(system.orderPort()).getLong("undelivered");
    int orders = system.orders(null).size();

    HttpResponse<Buffer> response = system.call(HttpMethod.POST, system.orderPort(), "/api/orders", body);

    assertProblem(response, 400);
    assertThat(system.orderOutboxRows()).as("order-service outbox rows").isEqualTo(outboxRows);
    assertThat(system.outbox(system.orderPort()).getLong("undelivered")).isEqualTo(undelivered);
    assertThat(system.orders(null)).as("orders").hasSize(orders);
  }

  static Stream<Arguments> badRestocks() {
    Map<String, String> bodies = new java.util.LinkedHashMap<>();
    bodies.put("malformed JSON", "{\"quantity\": ");
    bodies.put("quantity 0", "{\"quantity\": 0}");
    bodies.put("quantity -3", "{\"quantity\": -3}");
    bodies.put("quantity 2.5", "{\"quantity\": 2.5}");
    bodies.put("quantity \"5\"", "{\"quantity\": \"5\"}");
    bodies.put("an unknown field", "{\"quantity\": 5, \"price\": 3}");
    return databases().stream().flatMap(kind -> bodies.entrySet().stream()
        .map(bad -> Arguments.of(kind, bad.getKey(), bad.getValue())));
  }

  @ParameterizedTest(name = "on {0}: {1}")
  @MethodSource("badRestocks")
  @DisplayName("a restock with bad input is a 400 problem and changes no stock")
  void badRestockChangesNothing(Kind kind, String what, String body) {
    SagaSystem system = system(kind);
    String spare = "spare-part";
    if (system.stockList().stream().noneMatch(item -> spare.equals(item.getString("sku")))) {
      system.restock(spare, 2);
    }
    Stock before = system.stock(spare);

    HttpResponse<Buffer> response = system.call(HttpMethod.POST, system.inventoryPort(),
        "/api/inventory/" + spare + "/restock", body);

    assertProblem(response, 400);
    assertThat(system.stock(spare)).isEqualTo(before);
  }

  private static void assertProblem(HttpResponse<Buffer> response, int status) {
    assertThat(response.statusCode()).as("status, body " + response.bodyAsString()).isEqualTo(status);
    assertThat(response.getHeader("Content-Type")).isEqualTo("application/problem+json");
    JsonObject problem = response.bodyAsJsonObject();
    assertThat(problem.getInteger("status")).isEqualTo(status);
    assertThat(problem.getString("title")).isNotBlank();
    assertThat(problem.getString("detail")).isNotBlank();
  }
}
