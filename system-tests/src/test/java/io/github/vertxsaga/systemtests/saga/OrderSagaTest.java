package io.github.vertxsaga.systemtests.saga;

import static io.github.vertxsaga.platform.testing.Eventually.result;
import static io.github.vertxsaga.systemtests.saga.Operator.items;
import static io.github.vertxsaga.systemtests.saga.Operator.json;
import static io.github.vertxsaga.systemtests.saga.Operator.placed;
import static io.github.vertxsaga.systemtests.saga.Operator.sku;
import static org.assertj.core.api.Assertions.assertThat;

import io.github.vertxsaga.events.Addresses;
import io.github.vertxsaga.events.EventEnvelope;
import io.github.vertxsaga.events.LineItem;
import io.github.vertxsaga.events.Payloads;
import io.github.vertxsaga.platform.outbox.InboxConsumer;
import io.github.vertxsaga.platform.testing.Eventually;
import io.github.vertxsaga.platform.testing.TestDatabases.Kind;
import io.github.vertxsaga.platform.testing.TestDatabases;
import io.github.vertxsaga.systemtests.Http;
import io.github.vertxsaga.systemtests.InJvmSystem;
import io.github.vertxsaga.systemtests.User;
import io.github.vertxsaga.systemtests.saga.Operator.Stock;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
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
  /** The tests act as the operator, who sees every order and may restock. */
  private static final Http.Caller ADMIN = Http.as(User.ADMIN);
  private static final Map<Kind, Operator> operators = new EnumMap<>(Kind.class);

  static List<Kind> databases() {
    return TestDatabases.available();
  }

  @BeforeAll
  static void postgresWhenRequired() {
    TestDatabases.assertPostgresWhenRequired();
  }

  @AfterAll
  static void stopSystems() {
    operators.values().forEach(operator -> operator.system().close());
    operators.clear();
  }

  private static Operator operator(Kind kind) {
    return operators.computeIfAbsent(kind, k -> new Operator(InJvmSystem.on(k).named("saga").withGateway().start()));
  }

  @ParameterizedTest(name = "on {0}")
  @MethodSource("databases")
  @DisplayName("an order for stock that is there is CONFIRMED and its stock moves from available to reserved")
  void orderIsConfirmed(Kind kind) {
    Operator operator = operator(kind);
    String bolt = sku("bolt");
    String nut = sku("nut");
    operator.restock(bolt, 10);
    operator.restock(nut, 4);

    String id = operator.place(bolt, 2, nut, 1, bolt, 1);

    JsonObject order = operator.settled(id);
    assertThat(order.getString("status")).isEqualTo("CONFIRMED");
    assertThat(order.containsKey("reason")).isFalse();
    assertThat(operator.stock(bolt)).isEqualTo(new Stock(7, 3));
    assertThat(operator.stock(nut)).isEqualTo(new Stock(3, 1));
    operator.assertInvariantAtRest();
  }

  @ParameterizedTest(name = "on {0}")
  @MethodSource("databases")
  @DisplayName("the same order flow works through the gateway")
  void orderThroughTheGateway(Kind kind) {
    Operator operator = operator(kind);
    InJvmSystem system = operator.system();
    String washer = sku("washer");
    assertThat(operator.restockThroughGateway(washer, 5).getLong("available")).isEqualTo(5);

    String id = placed(ADMIN.post(system.gateway("/api/orders"), items(washer, 2)));

    JsonObject order = Eventually.value("the order is settled, seen through the gateway", InJvmSystem.SETTLE, () -> {
      JsonObject seen = json(ADMIN.get(system.gateway("/api/orders/" + id)), 200);
      return "PENDING".equals(seen.getString("status")) ? Optional.empty() : Optional.of(seen);
    });
    assertThat(order.getString("status")).isEqualTo("CONFIRMED");
    JsonObject item = json(ADMIN.get(system.gateway("/api/inventory/" + washer)), 200);
    assertThat(item.getLong("available")).isEqualTo(3);
    assertThat(item.getLong("reserved")).isEqualTo(2);
    operator.assertInvariantAtRest();
  }

  @ParameterizedTest(name = "on {0}")
  @MethodSource("databases")
  @DisplayName("with no trace exporter, the caller's trace still crosses both outboxes: each service's outbox row "
      + "of the order names the caller's trace")
  void traceContextPropagatesWhenNothingIsExported(Kind kind) {
    Operator operator = operator(kind);
    InJvmSystem system = operator.system();
    String rivet = sku("rivet");
    operator.restock(rivet, 3);
    String traceId = "0af7651916cd43dd8448eb211c80319c";

    String id = placed(ADMIN.header("traceparent", "00-" + traceId + "-b7ad6b7169203331-01")
        .post(system.gateway("/api/orders"), items(rivet, 1)));

    assertThat(operator.settled(id).getString("status")).isEqualTo("CONFIRMED");
    assertThat(traceparents(system.orderServiceHost(), id)).singleElement().asString()
        .startsWith("00-" + traceId + "-").endsWith("-00"); // not sampled: nothing records it
    assertThat(traceparents(system.inventoryServiceHost(), id)).singleElement().asString()
        .startsWith("00-" + traceId + "-");
  }

  private static List<String> traceparents(io.github.vertxsaga.platform.service.ServiceHost host, String orderId) {
    return result(host.database().read(c -> {
      try (var ps = c.prepareStatement("SELECT traceparent FROM outbox WHERE aggregate_id = ?")) {
        ps.setString(1, orderId);
        List<String> found = new ArrayList<>();
        try (var rs = ps.executeQuery()) {
          while (rs.next()) {
            found.add(rs.getString(1));
          }
        }
        return found;
      }
    }));
  }

  @ParameterizedTest(name = "on {0}")
  @MethodSource("databases")
  @DisplayName("an order for more than is in stock is REJECTED with a reason naming the SKU, and takes nothing")
  void insufficientStockIsRejected(Kind kind) {
    Operator operator = operator(kind);
    String plenty = sku("plenty");
    String scarce = sku("scarce");
    operator.restock(plenty, 5);
    operator.restock(scarce, 1);

    JsonObject order = operator.settled(operator.place(plenty, 2, scarce, 2));

    assertThat(order.getString("status")).isEqualTo("REJECTED");
    assertThat(order.getString("reason")).contains("insufficient stock").contains(scarce);
    assertThat(operator.stock(plenty)).as("the line that could be reserved is not").isEqualTo(new Stock(5, 0));
    assertThat(operator.stock(scarce)).isEqualTo(new Stock(1, 0));
    operator.assertInvariantAtRest();
  }

  @ParameterizedTest(name = "on {0}")
  @MethodSource("databases")
  @DisplayName("an order for an unknown SKU is REJECTED with a reason naming it, and takes nothing")
  void unknownSkuIsRejected(Kind kind) {
    Operator operator = operator(kind);
    String known = sku("known");
    String unknown = sku("unknown");
    operator.restock(known, 3);

    JsonObject order = operator.settled(operator.place(known, 1, unknown, 1));

    assertThat(order.getString("status")).isEqualTo("REJECTED");
    assertThat(order.getString("reason")).isEqualTo("unknown SKU " + unknown);
    assertThat(operator.stock(known)).isEqualTo(new Stock(3, 0));
    Http.Reply missing = ADMIN.get(operator.system().inventoryService("/api/inventory/" + unknown));
    assertThat(missing.status()).isEqualTo(404);
    assertThat(missing.header("Content-Type")).isEqualTo("application/problem+json");
    operator.assertInvariantAtRest();
  }

  @ParameterizedTest(name = "on {0}")
  @MethodSource("databases")
  @DisplayName("cancelling a CONFIRMED order makes it CANCELLED and gives its stock back")
  void cancelledOrderReleasesStock(Kind kind) {
    Operator operator = operator(kind);
    String gear = sku("gear");
    operator.restock(gear, 6);
    String id = operator.place(gear, 4);
    assertThat(operator.settled(id).getString("status")).isEqualTo("CONFIRMED");
    assertThat(operator.stock(gear)).isEqualTo(new Stock(2, 4));

    JsonObject cancelling = json(operator.cancel(id), 202);

    assertThat(cancelling.getString("status")).isEqualTo("CANCELLING");
    Eventually.until("the stock of the cancelled order is released", InJvmSystem.SETTLE,
        () -> operator.stock(gear).equals(new Stock(6, 0)));
    operator.assertInvariantAtRest();
    assertThat(operator.order(id).getString("status")).isEqualTo("CANCELLED");
    Http.Reply again = operator.cancel(id);
    assertThat(again.status()).as("cancelling twice").isEqualTo(409);
    assertThat(again.header("Content-Type")).isEqualTo("application/problem+json");
  }

  @ParameterizedTest(name = "on {0}")
  @MethodSource("databases")
  @DisplayName("a cancel answers CANCELLING, and once the order reads CANCELLED its stock is already back")
  void cancelledMeansReleased(Kind kind) {
    Operator operator = operator(kind);
    String belt = sku("belt");
    operator.restock(belt, 5);
    String id = operator.place(belt, 3);
    assertThat(operator.settled(id).getString("status")).isEqualTo("CONFIRMED");

    JsonObject answer = json(operator.cancel(id), 202);

    assertThat(answer.getString("id")).isEqualTo(id);
    assertThat(answer.getString("status")).isEqualTo("CANCELLING");
    Eventually.until("the order reads CANCELLED", InJvmSystem.SETTLE,
        () -> "CANCELLED".equals(operator.order(id).getString("status")));
    assertThat(operator.stock(belt)).as("the stock, read right after the order read CANCELLED")
        .isEqualTo(new Stock(5, 0));
    operator.assertInvariantAtRest();
  }

  @ParameterizedTest(name = "on {0}")
  @MethodSource("databases")
  @DisplayName("orders cancelled as soon as they are placed, most before inventory has answered, all end CANCELLED "
      + "with nothing held")
  void ordersCancelledAtOnceEndCancelled(Kind kind) {
    Operator operator = operator(kind);
    String strap = sku("strap");
    operator.restock(strap, 8);

    List<String> ids = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      String id = operator.place(strap, 1);
      assertThat(json(operator.cancel(id), 202).getString("status")).isEqualTo("CANCELLING");
      ids.add(id);
    }

    Eventually.until("every cancelled order reads CANCELLED", InJvmSystem.SETTLE,
        () -> ids.stream().allMatch(id -> "CANCELLED".equals(operator.order(id).getString("status"))));
    assertThat(operator.stock(strap)).isEqualTo(new Stock(8, 0));
    operator.assertInvariantAtRest();
  }

  @ParameterizedTest(name = "on {0}")
  @MethodSource("databases")
  @DisplayName("a cancel that overtakes a parked OrderPlaced ends CANCELLED, and that OrderPlaced, delivered later, "
      + "reserves nothing")
  void cancelOvertakingAParkedOrderPlaced(Kind kind) {
    Operator operator = operator(kind);
    String hinge = sku("hinge");
    operator.restock(hinge, 4);
    // A PENDING order whose OrderPlaced inventory has not seen, as when it was dead-lettered: the cancel comes first.
    String id = UUID.randomUUID().toString();
    List<LineItem> lines = List.of(new LineItem(hinge, 2));
    insertPendingOrder(operator.system(), id, lines);

    JsonObject answer = json(operator.cancel(id), 202);

    assertThat(answer.getString("status")).isEqualTo("CANCELLING");
    Eventually.until("the order reads CANCELLED", InJvmSystem.SETTLE,
        () -> "CANCELLED".equals(operator.order(id).getString("status")));
    assertThat(operator.stock(hinge)).isEqualTo(new Stock(4, 0));

    // The parked OrderPlaced, requeued by an operator, arrives at last.
    EventEnvelope placed = EventEnvelope.wrap(new Payloads.OrderPlaced(id, "anonymous", lines), 1,
        Instant.now());
    assertThat(result(operator.system().orderServiceHost().node().vertx().eventBus()
        .<String>request(Addresses.INVENTORY_EVENTS, placed)).body()).isEqualTo(InboxConsumer.APPLIED);
    operator.assertInvariantAtRest();
    assertThat(operator.order(id).getString("status")).isEqualTo("CANCELLED");
    assertThat(operator.stock(hinge)).as("nothing reserved for a cancelled order").isEqualTo(new Stock(4, 0));
  }

  @ParameterizedTest(name = "on {0}")
  @MethodSource("databases")
  @DisplayName("a REJECTED order cannot be cancelled: 409, and it stays REJECTED")
  void rejectedOrderCannotBeCancelled(Kind kind) {
    Operator operator = operator(kind);
    String rare = sku("rare");
    operator.restock(rare, 1);
    String id = operator.place(rare, 2);
    assertThat(operator.settled(id).getString("status")).isEqualTo("REJECTED");

    Http.Reply refused = operator.cancel(id);

    assertThat(refused.status()).isEqualTo(409);
    assertThat(refused.header("Content-Type")).isEqualTo("application/problem+json");
    assertThat(refused.json().getString("detail")).contains(id).contains("REJECTED");
    assertThat(operator.order(id).getString("status")).isEqualTo("REJECTED");
    assertThat(operator.stock(rare)).isEqualTo(new Stock(1, 0));
    operator.assertInvariantAtRest();
  }

  @ParameterizedTest(name = "on {0}")
  @MethodSource("databases")
  @DisplayName("60 concurrent orders of one unit for 25 in stock: exactly 25 CONFIRMED, 35 REJECTED, never oversold")
  void concurrentOrdersNeverOversell(Kind kind) {
    Operator operator = operator(kind);
    String hot = sku("hot");
    operator.restock(hot, 25);

    List<CompletableFuture<Http.Reply>> requests = IntStream.range(0, 60)
        .mapToObj(i -> ADMIN.postAsync(operator.system().orderService("/api/orders"), items(hot, 1)))
        .toList();
    List<String> ids = requests.stream().map(request -> placed(request.join())).toList();

    List<Stock> seen = new ArrayList<>();
    Map<String, Long> outcomes = Eventually.value("all 60 orders are settled", InJvmSystem.SETTLE, () -> {
      seen.add(operator.stock(hot));
      Map<String, Long> byStatus = ids.stream().map(id -> operator.order(id).getString("status"))
          .collect(Collectors.groupingBy(status -> status, Collectors.counting()));
      return byStatus.containsKey("PENDING") ? Optional.empty() : Optional.of(byStatus);
    });

    assertThat(outcomes).containsExactlyInAnyOrderEntriesOf(Map.of("CONFIRMED", 25L, "REJECTED", 35L));
    assertThat(operator.stock(hot)).isEqualTo(new Stock(0, 25));
    assertThat(seen).as("stock while the orders were decided")
        .allSatisfy(stock -> {
          assertThat(stock.available()).isBetween(0L, 25L);
          assertThat(stock.available() + stock.reserved()).isEqualTo(25L);
        });
    operator.assertInvariantAtRest();
  }

  @ParameterizedTest(name = "on {0}")
  @MethodSource("databases")
  @DisplayName("an OrderPlaced delivered twice to inventory-service is applied once: the second answer is 'duplicate'")
  void duplicateDeliveryIsAppliedOnce(Kind kind) {
    Operator operator = operator(kind);
    String cog = sku("cog");
    operator.restock(cog, 10);
    // An order order-service knows, whose OrderPlaced the test delivers itself, twice, from order-service's node.
    String id = UUID.randomUUID().toString();
    List<LineItem> lines = List.of(new LineItem(cog, 3));
    insertPendingOrder(operator.system(), id, lines);
    EventEnvelope placed = EventEnvelope.wrap(new Payloads.OrderPlaced(id, "anonymous", lines), 1,
        Instant.now());
    var bus = operator.system().orderServiceHost().node().vertx().eventBus();

    String first = result(bus.<String>request(Addresses.INVENTORY_EVENTS, placed)).body();
    String second = result(bus.<String>request(Addresses.INVENTORY_EVENTS, placed)).body();

    assertThat(first).isEqualTo(InboxConsumer.APPLIED);
    assertThat(second).isEqualTo(InboxConsumer.DUPLICATE);
    assertThat(operator.settled(id).getString("status")).isEqualTo("CONFIRMED");
    assertThat(operator.stock(cog)).as("reserved once").isEqualTo(new Stock(7, 3));
    operator.assertInvariantAtRest();
  }

  @ParameterizedTest(name = "on {0}")
  @MethodSource("databases")
  @DisplayName("an answer order-service keeps refusing is dead-lettered, listed on /admin/dead-letters, and delivered "
      + "once an operator requeues it")
  void deadLetterIsRequeuedOverHttp(Kind kind) {
    Operator operator = operator(kind);
    InJvmSystem system = operator.system();
    String pin = sku("pin");
    operator.restock(pin, 4);
    // OrderPlaced for an order order-service does not know (yet): inventory reserves, order-service refuses the answer.
    String id = UUID.randomUUID().toString();
    List<LineItem> lines = List.of(new LineItem(pin, 1));
    EventEnvelope placed = EventEnvelope.wrap(new Payloads.OrderPlaced(id, "anonymous", lines), 1,
        Instant.now());
    assertThat(result(system.orderServiceHost().node().vertx().eventBus()
        .<String>request(Addresses.INVENTORY_EVENTS, placed)).body()).isEqualTo(InboxConsumer.APPLIED);

    JsonObject letter = Eventually.value("inventory's answer is dead-lettered", InJvmSystem.SETTLE, () -> {
      JsonObject page = json(ADMIN.get(system.inventoryService("/admin/dead-letters")), 200);
      return page.getJsonArray("items").stream().map(JsonObject.class::cast)
          .filter(item -> id.equals(item.getString("aggregateId"))).findFirst();
    });
    assertThat(letter.getString("type")).isEqualTo("InventoryReserved");
    assertThat(letter.getString("destination")).isEqualTo(Addresses.ORDER_EVENTS);
    assertThat(letter.getInteger("failures")).isEqualTo(InJvmSystem.OUTBOX_MAX_FAILURES);
    assertThat(letter.getString("error")).contains("unknown order " + id);
    assertThat(operator.inventoryOutbox().getLong("deadLettered")).isOne();

    insertPendingOrder(system, id, lines);
    Http.Reply requeued = ADMIN.post(system.inventoryService("/admin/dead-letters/" + letter.getLong("id")
        + "/requeue"));

    assertThat(json(requeued, 202).getString("status")).isEqualTo("REQUEUED");
    assertThat(operator.settled(id).getString("status")).isEqualTo("CONFIRMED");
    assertThat(operator.stock(pin)).isEqualTo(new Stock(3, 1));
    assertProblem(ADMIN.post(system.inventoryService("/admin/dead-letters/" + letter.getLong("id") + "/requeue")),
        404);
    operator.assertInvariantAtRest();
  }

  private static void insertPendingOrder(InJvmSystem system, String id, List<LineItem> lines) {
    long now = System.currentTimeMillis();
    result(system.orderServiceHost().database().inTransaction(c -> {
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
    Operator operator = operator(kind);
    operator.awaitAtRest();
    long outboxRows = operator.orderOutboxRows();
    long undelivered = operator.orderOutbox().getLong("undelivered");
    int orders = operator.orders(null).size();

    Http.Reply response = ADMIN.post(operator.system().orderService("/api/orders"), body);

    assertProblem(response, 400);
    assertThat(operator.orderOutboxRows()).as("order-service outbox rows").isEqualTo(outboxRows);
    assertThat(operator.orderOutbox().getLong("undelivered")).isEqualTo(undelivered);
    assertThat(operator.orders(null)).as("orders").hasSize(orders);
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
    Operator operator = operator(kind);
    String spare = "spare-part";
    if (operator.stockList().stream().noneMatch(item -> spare.equals(item.getString("sku")))) {
      operator.restock(spare, 2);
    }
    Stock before = operator.stock(spare);

    Http.Reply response = ADMIN.post(operator.system().inventoryService("/api/inventory/" + spare + "/restock"), body);

    assertProblem(response, 400);
    assertThat(operator.stock(spare)).isEqualTo(before);
  }

  private static void assertProblem(Http.Reply response, int status) {
    assertThat(response.status()).as("status, body " + response.body()).isEqualTo(status);
    assertThat(response.header("Content-Type")).isEqualTo("application/problem+json");
    JsonObject problem = response.json();
    assertThat(problem.getInteger("status")).isEqualTo(status);
    assertThat(problem.getString("title")).isNotBlank();
    assertThat(problem.getString("detail")).isNotBlank();
  }
}
