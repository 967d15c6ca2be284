package io.github.vertxsaga.systemtests.scenarios;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.vertxsaga.platform.testing.Eventually;
import io.github.vertxsaga.systemtests.User;
import io.github.vertxsaga.systemtests.process.Invariants;
import io.github.vertxsaga.systemtests.process.Ledger;
import io.github.vertxsaga.systemtests.process.Load;
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

/** Scenarios every topology runs the same way. */
public final class Scenarios {
  /** The bound within which every accepted order must be terminal and the stock at rest after a scenario. */
  public static final Duration SETTLE = Duration.ofSeconds(60);

  private Scenarios() {
  }

  /**
   * An order confirmed, one rejected for want of stock, one cancelled; the events of the confirmed one are in the
   * logs of both services, published by one and handled by the other.
   */
  public static void happyPath(Topology topology, String prefix) {
    Shop shop = new Shop(topology);
    String plenty = prefix + "-PLENTY";
    String scarce = prefix + "-SCARCE";
    shop.restock(plenty, 100);
    shop.restock(scarce, 5);

    Shop.Answer confirmed = shop.order(User.ALICE, Shop.line(plenty, 2));
    Shop.Answer rejected = shop.order(User.BOB, Shop.line(plenty, 1), Shop.line(scarce, 10));
    Shop.Answer cancelled = shop.order(User.ALICE, Shop.line(scarce, 3));
    for (Shop.Answer answer : List.of(confirmed, rejected, cancelled)) {
      assertThat(answer.status()).as(answer.outcome().toString()).isEqualTo(202);
      assertThat(answer.body().getString("status")).isEqualTo("PENDING");
    }
    assertThat(awaitStatus(shop, User.ALICE, confirmed.orderId())).isEqualTo("CONFIRMED");
    assertThat(awaitStatus(shop, User.BOB, rejected.orderId())).isEqualTo("REJECTED");
    assertThat(awaitStatus(shop, User.ALICE, cancelled.orderId())).isEqualTo("CONFIRMED");
    Shop.Answer cancel = shop.cancel(User.ALICE, cancelled.orderId());
    assertThat(cancel.status()).as(cancel.outcome().toString()).isEqualTo(202);
    assertThat(cancel.body().getString("status")).isEqualTo("CANCELLING");
    assertThat(shop.get(User.BOB, "/api/orders/" + rejected.orderId()).body().getString("reason"))
        .contains("insufficient stock for SKU " + scarce);
    assertThat(shop.get(User.BOB, "/api/orders/" + confirmed.orderId()).status())
        .as("another customer's order is not found").isEqualTo(404);

    String id = confirmed.orderId();
    String order = "order=" + id;
    List<String> orderLog = Eventually.value("order-service logged the whole saga of " + id, Duration.ofSeconds(30),
        Duration.ofMillis(200), () -> present(topology.logLines(Service.ORDER), order,
            "published event=OrderPlaced", "handled event=InventoryReserved", "published event=OrderConfirmed"));
    List<String> inventoryLog = Eventually.value("inventory-service logged its part of " + id, Duration.ofSeconds(30),
        Duration.ofMillis(200), () -> present(topology.logLines(Service.INVENTORY), order,
            "handled event=OrderPlaced", "published event=InventoryReserved"));
    System.out.println("order " + id + " in the logs:");
    orderLog.forEach(line -> System.out.println("  order-service:     " + line));
    inventoryLog.forEach(line -> System.out.println("  inventory-service: " + line));
    assertThat(String.join("\n", inventoryLog)).contains("by=inventory-service outcome=applied");
    assertThat(String.join("\n", orderLog)).contains("by=order-service outcome=applied");
  }

  /** The lines holding {@code order}, once there is one for each of {@code events}. */
  private static java.util.Optional<List<String>> present(List<String> lines, String order, String... events) {
    List<String> found = lines.stream().filter(line -> line.contains(order + " ")).toList();
    for (String event : events) {
      if (found.stream().noneMatch(line -> line.contains(event))) {
        return java.util.Optional.empty();
      }
    }
    return java.util.Optional.of(found);
  }

  /**
   * 200 concurrent orders of one unit for a SKU with 50: exactly 50 are confirmed, the others rejected, and the
   * stock never goes below zero (sampled while the orders settle).
   */
  static void oversell(Topology topology, String prefix) throws Exception {
    Shop shop = new Shop(topology);
    String sku = prefix + "-LAST50";
    shop.restock(sku, 50);
    int mark = topology.ledger().mark();
    ExecutorService clients = Executors.newFixedThreadPool(20);
    List<Future<Shop.Answer>> answers = new ArrayList<>();
    try {
      for (int i = 0; i < 200; i++) {
        User customer = i % 2 == 0 ? User.ALICE : User.BOB;
        answers.add(clients.submit(() -> shop.order(customer, Shop.line(sku, 1))));
      }
      long lowest = Long.MAX_VALUE;
      List<String> ids = new ArrayList<>();
      for (Future<Shop.Answer> answer : answers) {
        Shop.Answer placed = answer.get(60, TimeUnit.SECONDS);
        assertThat(placed.status()).as(placed.outcome().toString()).isEqualTo(202);
        ids.add(placed.orderId());
        lowest = Math.min(lowest, Invariants.stock(topology, sku).getLong("available"));
      }
      java.util.Map<String, JsonObject> settled = Eventually.value("all 200 orders are terminal", SETTLE,
          Duration.ofMillis(500), () -> {
            java.util.Map<String, JsonObject> orders = Invariants.allOrders(topology);
            return ids.stream().allMatch(id -> orders.containsKey(id)
                && Invariants.TERMINAL.contains(orders.get(id).getString("status")))
                ? java.util.Optional.of(orders) : java.util.Optional.empty();
          });
      long confirmedCount = ids.stream().filter(id -> "CONFIRMED".equals(settled.get(id).getString("status"))).count();
      long rejectedCount = ids.stream().filter(id -> "REJECTED".equals(settled.get(id).getString("status"))).count();
      JsonObject stock = Invariants.stock(topology, sku);
      System.out.printf("oversell: 200 orders for 50 units: %d CONFIRMED, %d REJECTED, stock %s, lowest available "
          + "seen while placing %d; answers %s%n", confirmedCount, rejectedCount, stock.encode(), lowest,
          Ledger.statusCounts(topology.ledger().outcomesSince(mark)));
      assertThat(confirmedCount).isEqualTo(50);
      assertThat(rejectedCount).isEqualTo(150);
      assertThat(stock.getLong("available")).isZero();
      assertThat(lowest).isNotNegative();
    } finally {
      clients.shutdownNow();
    }
  }

  /**
   * How a scenario makes orders pile up in flight before a kill, and lets them go again: it holds inventory-service
   * back (a frozen JVM, or a database whose rows are locked) so that what the clients send is accepted but not yet
   * answered.
   */
  interface Stall {
    void begin();

    void end();
  }

  /**
   * kill -9 an inventory-service instance while orders stream in and at least 200 are in flight (accepted, not yet
   * answered by inventory; held back by {@code stall} until there are that many). With {@code restart} (H2, a single
   * instance) the killed one is restarted and every order must be terminal within 60 s of its restart; without
   * (several instances) the survivors must settle them all within 60 s, and only then is the killed one restarted, to
   * leave the topology whole.
   */
  static void killInventoryInFlight(Topology topology, String prefix, ServiceProcess victim, Stall stall,
                                    boolean restart) {
    Shop shop = new Shop(topology);
    List<String> skus = inFlightSkus(prefix);
    skus.forEach(sku -> shop.restock(sku, sku.endsWith("SCARCE") ? 60 : 100_000));
    int mark = topology.ledger().mark();
    long duplicatesBefore = duplicates(topology, io.github.vertxsaga.systemtests.process.Service.INVENTORY);
    // Paced, so that the count bound is not reached before the scenario is over: 50 orders/s for up to 2 minutes.
    try (Load load = Load.start(shop, Load.Plan.of(8, 6_000, Duration.ofSeconds(120), skus).paced(50))) {
      Eventually.until("orders stream in (100 accepted)", Duration.ofSeconds(60), () -> load.accepted() >= 100);
      // Counted before the stall: a JVM frozen for more than 5 s is dropped from the cluster, and forgotten by the
      // gateways, before it is killed.
      Map<ServiceProcess, Long> gone = topology.goneCounts(victim);
      long stalled = System.nanoTime();
      stall.begin();
      int inFlightAtKill;
      try {
        inFlightAtKill = Eventually.value("200 orders in flight", Duration.ofSeconds(60), Duration.ofMillis(100),
            () -> java.util.Optional.of(pending(topology)).filter(n -> n >= 200));
      } catch (AssertionError | RuntimeException e) {
        stall.end();
        throw e;
      }
      int acceptedAtKill = load.accepted();
      long killed = System.nanoTime();
      victim.kill();
      if (!victim.awaitExit(Duration.ofSeconds(30))) {
        throw new AssertionError(victim + " survived kill -9");
      }
      stall.end();
      topology.awaitForgotten(victim, gone);
      long forgotten = System.nanoTime();
      String recovery;
      if (restart) {
        int inFlight = pending(topology);
        long restarting = System.nanoTime();
        topology.restart(victim);
        long ready = System.nanoTime();
        int acceptedAtRestart = load.accepted();
        Eventually.until("50 more orders after the restart", Duration.ofSeconds(60),
            () -> load.accepted() >= acceptedAtRestart + 50);
        load.stop();
        Duration ran = load.await(Duration.ofSeconds(60));
        String invariants = Invariants.check(topology, Duration.ofSeconds(60));
        long settled = System.nanoTime();
        recovery = String.format("%d in flight when the restart began; restart took %d ms; every order terminal "
                + "%d ms after it was ready (kill to at rest %d ms); load ran %d ms; %s", inFlight,
            millis(ready - restarting), millis(settled - ready), millis(settled - killed), ran.toMillis(), invariants);
      } else {
        int acceptedAfterKill = load.accepted();
        Eventually.until("200 more orders after the kill", Duration.ofSeconds(60),
            () -> load.accepted() >= acceptedAfterKill + 200);
        load.stop();
        Duration ran = load.await(Duration.ofSeconds(60));
        long stopped = System.nanoTime();
        String invariants = Invariants.check(topology, Duration.ofSeconds(60));
        long settled = System.nanoTime();
        recovery = String.format("the survivors settled every order %d ms after the load stopped (kill to at rest "
                + "%d ms); load ran %d ms; %s", millis(settled - stopped), millis(settled - killed), ran.toMillis(),
            invariants);
      }
      List<Ledger.Outcome> outcomes = topology.ledger().outcomesSince(mark);
      System.out.printf("held inventory back for %d ms, then kill -9 %s (pid %d) with %d orders in flight (%d "
              + "accepted so far); gateways forgot it %d ms after the kill; %d orders accepted in all; answers %s; "
              + "%d redeliveries acknowledged as duplicates; %s%n", millis(killed - stalled), victim.name(),
          victim.pid(), inFlightAtKill, acceptedAtKill, millis(forgotten - killed), load.accepted(),
          Ledger.statusCounts(outcomes), duplicates(topology, io.github.vertxsaga.systemtests.process.Service.INVENTORY)
              - duplicatesBefore, recovery);
      assertThat(inFlightAtKill).isGreaterThanOrEqualTo(200);
      assertNoFailures(outcomes, "while an inventory-service was killed");
    }
    if (!restart) {
      topology.restart(victim);
    }
  }

  /** The SKUs {@link #killInventoryInFlight} orders from: three with plenty of stock, one that runs out. */
  static List<String> inFlightSkus(String prefix) {
    return List.of(prefix + "-A", prefix + "-B", prefix + "-C", prefix + "-SCARCE");
  }

  /** Redeliveries the inboxes of the service acknowledged as duplicates so far (over every instance and restart). */
  public static long duplicates(Topology topology, io.github.vertxsaga.systemtests.process.Service service) {
    return topology.logLines(service).stream().filter(line -> line.contains("outcome=duplicate")).count();
  }

  public static long millis(long nanos) {
    return nanos / 1_000_000;
  }

  /** How many orders are PENDING right now (at most 500 are counted), as the admin sees them. */
  static int pending(Topology topology) {
    Shop.Answer answer = new Shop(topology).get(User.ADMIN, "/api/orders?status=PENDING&limit=500");
    if (answer.status() != 200) {
      throw new IllegalStateException("listing PENDING orders answered " + answer.outcome());
    }
    return answer.body().getJsonArray("items").size();
  }

  static String statusAsAdmin(Shop shop, String orderId) {
    Shop.Answer answer = shop.get(User.ADMIN, "/api/orders/" + orderId);
    return answer.status() == 200 ? answer.body().getString("status") : "HTTP " + answer.status();
  }

  /** Polls an order until it is terminal, and returns its status. */
  public static String awaitStatus(Shop shop, User customer, String orderId) {
    return Eventually.value("order " + orderId + " is terminal", SETTLE, Duration.ofMillis(100), () -> {
      Shop.Answer answer = shop.get(customer, "/api/orders/" + orderId);
      String status = answer.status() == 200 ? answer.body().getString("status") : null;
      return Invariants.TERMINAL.contains(status) ? java.util.Optional.of(status) : java.util.Optional.empty();
    });
  }

  /** Asserts none of the requests failed (5xx or no answer), listing those that did. */
  public static void assertNoFailures(List<Ledger.Outcome> outcomes, String during) {
    List<Ledger.Outcome> failed = outcomes.stream().filter(Ledger.Outcome::failed).toList();
    assertThat(failed).as("failed client requests " + during + " (of " + outcomes.size() + ")").isEmpty();
  }
}
