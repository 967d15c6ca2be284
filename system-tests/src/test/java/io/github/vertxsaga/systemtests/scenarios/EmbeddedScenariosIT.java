package io.github.vertxsaga.systemtests.scenarios;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.vertxsaga.platform.testing.Eventually;
import io.github.vertxsaga.systemtests.User;
import io.github.vertxsaga.systemtests.process.Invariants;
import io.github.vertxsaga.systemtests.process.ProcessCluster;
import io.github.vertxsaga.systemtests.process.Service;
import io.github.vertxsaga.systemtests.process.ServiceProcess;
import io.github.vertxsaga.systemtests.process.Shop;
import io.github.vertxsaga.systemtests.process.Topology;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The failure scenarios on the embedded default topology (one of each service on H2 files, one gateway), one
 * topology for the whole class: each scenario leaves it whole again and the invariants are checked after each.
 */
@DisplayName("Scenarios on the embedded default topology (H2)")
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class EmbeddedScenariosIT {
  @RegisterExtension
  static final ProcessCluster cluster = new ProcessCluster();
  static Topology topology;

  @BeforeAll
  static void startTopology() {
    topology = Topology.embedded(cluster);
  }

  @AfterEach
  void invariantsHold() {
    List<String> dead = topology.heal(); // first, so that one scenario's failure does not spoil the next ones
    Invariants.check(topology, Scenarios.SETTLE);
    assertThat(dead).as("members found dead after the scenario (it restarts what it kills)").isEmpty();
  }

  @Test
  @Order(1)
  @DisplayName("1. happy path: confirmed, rejected and cancelled orders; one order's events in both services' logs")
  void happyPath() {
    Scenarios.happyPath(topology, "H1");
  }

  @Test
  @Order(2)
  @DisplayName("2. kill -9 inventory-service with 200+ orders in flight, restart it: all terminal within 60 s")
  void killInventoryInFlight() {
    ServiceProcess inventory = topology.inventories().get(0);
    // SIGSTOP until 200 orders are in flight: the events delivered meanwhile die with the JVM, unacknowledged.
    Scenarios.killInventoryInFlight(topology, "H2", inventory, new Scenarios.Stall() {
      @Override
      public void begin() {
        inventory.freeze();
      }

      @Override
      public void end() {
        // killed while frozen: nothing to resume
      }
    }, true);
  }

  @Test
  @Order(4)
  @DisplayName("4. a consumer halted after applying an event and before acknowledging it does not apply it twice")
  void haltAfterApplyBeforeAck() {
    Shop shop = new Shop(topology);
    shop.restock("H4-HALT", 10);
    ServiceProcess inventory = topology.inventories().get(0);
    topology.terminate(inventory);
    ServiceProcess faulty = topology.restart(inventory, Map.of("FAULT_HALT_AFTER_APPLY", "OrderPlaced"));
    Map<ServiceProcess, Long> gone = topology.goneCounts(faulty);

    long placed = System.nanoTime();
    Shop.Answer order = shop.order(User.ALICE, Shop.line("H4-HALT", 3));
    assertThat(order.status()).as(order.outcome().toString()).isEqualTo(202);
    String id = order.orderId();
    assertThat(faulty.awaitExit(Duration.ofSeconds(60))).as("the fault switch halts inventory-service").isTrue();
    String halt = faulty.awaitLog("FAULT_HALT_AFTER_APPLY: halting after committing event=OrderPlaced",
        Duration.ofSeconds(5));
    assertThat(halt).contains("order=" + id);
    String eventId = halt.replaceFirst(".* id=(\\S+) .*", "$1");
    topology.awaitForgotten(faulty, gone);

    ServiceProcess healed = topology.restart(faulty, Map.of("FAULT_HALT_AFTER_APPLY", ""));
    long restarted = System.nanoTime();
    String duplicate = healed.awaitLog("handled event=OrderPlaced id=" + eventId + " order=" + id,
        Duration.ofSeconds(60));
    long redelivered = System.nanoTime();
    assertThat(Scenarios.awaitStatus(shop, User.ALICE, id)).isEqualTo("CONFIRMED");
    JsonObject stock = Invariants.stock(topology, "H4-HALT");
    System.out.printf("halted with exit %d after applying %s; restarted without the switch %d ms after the order was "
            + "placed; the redelivery came %d ms after the restart: %s; stock %s%n", faulty.exitValue(), eventId,
        Scenarios.millis(restarted - placed), Scenarios.millis(redelivered - restarted), duplicate, stock.encode());
    assertThat(duplicate).contains("outcome=duplicate");
    assertThat(stock.getLong("reserved")).as("reserved once").isEqualTo(3L);
    assertThat(stock.getLong("available")).isEqualTo(7L);
  }

  @Test
  @Order(5)
  @DisplayName("5. a consumer halted after applying a batch of orders and before acknowledging it applies none twice")
  void haltAfterApplyingABatchBeforeAck() {
    Shop shop = new Shop(topology);
    shop.restock("H5-BATCH", 30);
    ServiceProcess inventory = topology.inventories().get(0);
    topology.terminate(inventory);
    // Placed while no inventory-service runs: their events wait in the outbox and go out in batches once one is back.
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      Shop.Answer order = shop.order(User.ALICE, Shop.line("H5-BATCH", 2));
      assertThat(order.status()).as(order.outcome().toString()).isEqualTo(202);
      ids.add(order.orderId());
    }
    // It halts on the first batch waiting for it, before it is ready: no gateway ever routes to it.
    ServiceProcess faulty = topology.relaunch(inventory, Map.of("FAULT_HALT_AFTER_APPLY", "OrderPlaced"));
    assertThat(faulty.awaitExit(Duration.ofSeconds(120))).as("the fault switch halts inventory-service").isTrue();
    faulty.awaitLog("FAULT_HALT_AFTER_APPLY: halting after committing event=OrderPlaced", Duration.ofSeconds(5));
    // The events of the batch it committed before halting: each was applied, none acknowledged.
    List<String> applied = faulty.logLines().stream()
        .filter(line -> line.contains("handled event=OrderPlaced") && line.contains("outcome=applied"))
        .map(line -> line.replaceFirst(".* id=(\\S+) .*", "$1")).toList();
    assertThat(applied).as("events applied before the halt").isNotEmpty();

    ServiceProcess healed = topology.restart(faulty, Map.of("FAULT_HALT_AFTER_APPLY", ""));
    for (String eventId : applied) {
      String again = healed.awaitLog("handled event=OrderPlaced id=" + eventId, Duration.ofSeconds(60));
      assertThat(again).as("the redelivery of " + eventId).contains("outcome=duplicate");
    }
    for (String id : ids) {
      assertThat(Scenarios.awaitStatus(shop, User.ALICE, id)).as(id).isEqualTo("CONFIRMED");
    }
    JsonObject stock = Invariants.stock(topology, "H5-BATCH");
    System.out.printf("halted after applying %d of the %d orders' events in its last batch; after the restart each "
        + "was answered as a duplicate; stock %s%n", applied.size(), ids.size(), stock.encode());
    assertThat(stock.getLong("reserved")).as("reserved once per order").isEqualTo(10L);
    assertThat(stock.getLong("available")).isEqualTo(20L);
  }

  @Test
  @Order(10)
  @DisplayName("10. hostile input: 1000+ generated bad requests through the gateway: no 5xx, no process dies, nothing written")
  void hostileInput() throws Exception {
    Shop shop = new Shop(topology);
    shop.restock("H10-STOCK", 100);
    Shop.Answer placed = shop.order(User.ALICE, Shop.line("H10-STOCK", 1));
    assertThat(placed.status()).isEqualTo(202);
    String aliceOrder = placed.orderId();
    assertThat(Scenarios.awaitStatus(shop, User.ALICE, aliceOrder)).isEqualTo("CONFIRMED");
    Invariants.check(topology, Scenarios.SETTLE); // at rest: what follows must change nothing
    int ordersBefore = Invariants.allOrders(topology).size();
    JsonObject stockBefore = Invariants.stock(topology, "H10-STOCK");
    long publishedBefore = published(topology);

    long seed = 20_260_511L;
    List<HostileRequests.Hostile> hostile = HostileRequests.generate(seed, 1_000, "H10-STOCK", aliceOrder);
    int port = topology.gateways().get(0).httpPort();
    ExecutorService senders = Executors.newFixedThreadPool(4);
    long started = System.nanoTime();
    Map<HostileRequests.Hostile, Integer> answers = new java.util.concurrent.ConcurrentHashMap<>();
    try {
      List<Future<?>> sent = new ArrayList<>();
      for (HostileRequests.Hostile request : hostile) {
        sent.add(senders.submit(() -> answers.put(request, RawHttp.send(port, request.request(), 15_000))));
      }
      for (Future<?> each : sent) {
        each.get(5, TimeUnit.MINUTES);
      }
    } finally {
      senders.shutdownNow();
    }
    long tookMs = Scenarios.millis(System.nanoTime() - started);

    Map<String, Map<Integer, Long>> byCategory = new java.util.TreeMap<>();
    List<String> wrong = new ArrayList<>();
    answers.forEach((request, status) -> {
      byCategory.computeIfAbsent(request.category(), c -> new java.util.TreeMap<>()).merge(status, 1L, Long::sum);
      boolean ok = switch (request.expect()) {
        case REFUSED -> status >= 400 && status < 500;
        case READ -> status >= 100 && status < 500;
        case BROKEN -> (status >= 400 && status < 500) || status == RawHttp.NO_ANSWER;
      };
      if (!ok) {
        wrong.add(request.category() + " / " + request.request().name() + " -> " + status + " (expected "
            + request.expect() + ")");
      }
    });
    System.out.printf("sent %d hostile requests (seed %d) in %d ms; answers by category (status -1: connection closed "
        + "without an answer, -2: no answer in 15 s):%n", hostile.size(), seed, tookMs);
    byCategory.forEach((category, statuses) -> System.out.printf("  %-26s %s%n", category, statuses));

    List<String> dead = topology.all().stream().filter(p -> !p.isAlive()).map(Object::toString).toList();
    int ordersAfter = Invariants.allOrders(topology).size();
    JsonObject stockAfter = Invariants.stock(topology, "H10-STOCK");
    long publishedAfter = published(topology);
    Shop.Answer still = shop.order(User.BOB, Shop.line("H10-STOCK", 2));
    System.out.printf("afterwards: %d orders (before %d), stock %s (before %s), %d events published (before %d), a "
        + "normal order answered %d%n", ordersAfter, ordersBefore, stockAfter.encode(), stockBefore.encode(),
        publishedAfter, publishedBefore, still.status());

    assertThat(hostile.size()).isGreaterThanOrEqualTo(1_000);
    assertThat(wrong).as("answers that were not what the request deserved (never a 5xx)").isEmpty();
    assertThat(dead).as("processes that died").isEmpty();
    assertThat(ordersAfter).as("no order was written for a refused request").isEqualTo(ordersBefore);
    assertThat(publishedAfter).as("no event (outbox row) was written for a refused request").isEqualTo(publishedBefore);
    assertThat(stockAfter).as("no stock changed").isEqualTo(stockBefore);
    assertThat(Scenarios.statusAsAdmin(shop, aliceOrder)).isEqualTo("CONFIRMED");
    assertThat(still.status()).as("the system still takes orders").isEqualTo(202);
  }

  /** Events the services logged as published: one per outbox row committed. */
  private static long published(Topology topology) {
    return Stream.of(Service.INVENTORY, Service.ORDER).flatMap(service -> topology.logLines(service).stream())
        .filter(line -> line.contains(" published event=")).count();
  }

  @Test
  @Order(8)
  @DisplayName("8. oversell: 200 concurrent orders for 50 units confirm exactly 50, stock never negative")
  void oversell() throws Exception {
    Scenarios.oversell(topology, "H8");
  }

  @Test
  @Order(9)
  @DisplayName("9. durability: kill -9 order-service right after a series of 202s; every accepted order is there and completes")
  void acceptedOrdersSurviveKillNine() throws Exception {
    Shop shop = new Shop(topology);
    shop.restock("H9-DURABLE", 1_000);
    ServiceProcess order = topology.orders().get(0);
    ExecutorService clients = Executors.newFixedThreadPool(5);
    List<String> accepted = new ArrayList<>();
    try {
      List<Future<List<String>>> series = new ArrayList<>();
      for (int client = 0; client < 5; client++) {
        series.add(clients.submit(() -> {
          List<String> ids = new ArrayList<>();
          for (int i = 0; i < 10; i++) {
            Shop.Answer answer = shop.order(User.BOB, Shop.line("H9-DURABLE", 2));
            assertThat(answer.status()).as(answer.outcome().toString()).isEqualTo(202);
            ids.add(answer.orderId());
          }
          return ids;
        }));
      }
      for (Future<List<String>> ids : series) {
        accepted.addAll(ids.get(60, TimeUnit.SECONDS));
      }
    } finally {
      clients.shutdownNow();
    }
    long killed = System.nanoTime();
    topology.kill(order); // right after the last 202: no shutdown hook, nothing flushed on the way out
    ServiceProcess restarted = topology.restart(order);
    long ready = System.nanoTime();
    Map<String, JsonObject> orders = Invariants.allOrders(topology);
    long pending = accepted.stream().filter(id -> orders.containsKey(id)
        && "PENDING".equals(orders.get(id).getString("status"))).count();
    assertThat(accepted).as("every accepted order is there after the restart").allMatch(orders::containsKey);
    Eventually.until("every accepted order is CONFIRMED", Scenarios.SETTLE, Duration.ofMillis(500), () -> {
      Map<String, JsonObject> now = Invariants.allOrders(topology);
      return accepted.stream().allMatch(id -> "CONFIRMED".equals(now.get(id).getString("status")));
    });
    System.out.printf("%d orders accepted, then kill -9 %s; restarted as %s and ready %d ms after the kill; %d were "
            + "still PENDING then; all CONFIRMED %d ms after the kill%n", accepted.size(), order, restarted,
        Scenarios.millis(ready - killed), pending, Scenarios.millis(System.nanoTime() - killed));
  }
}
