package io.github.vertxsaga.systemtests.scenarios;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.github.vertxsaga.platform.testing.Eventually;
import io.github.vertxsaga.platform.testing.TestCertificates;
import io.github.vertxsaga.platform.testing.TestDatabases;
import io.github.vertxsaga.systemtests.User;
import io.github.vertxsaga.systemtests.process.GatewayLog;
import io.github.vertxsaga.systemtests.process.Invariants;
import io.github.vertxsaga.systemtests.process.Ledger;
import io.github.vertxsaga.systemtests.process.Load;
import io.github.vertxsaga.systemtests.process.ProcessCluster;
import io.github.vertxsaga.systemtests.process.Service;
import io.github.vertxsaga.systemtests.process.ServiceProcess;
import io.github.vertxsaga.systemtests.process.Shop;
import io.github.vertxsaga.systemtests.process.Topology;
import java.time.Duration;
import java.time.LocalTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The failure scenarios on PostgreSQL: two instances of inventory-service and of order-service (each service's
 * instances share its database) and two gateways, which the clients alternate. One topology for the whole class: each
 * scenario leaves it whole again and the invariants are checked after each.
 */
@DisplayName("Scenarios on PostgreSQL with two instances of everything")
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class PostgresScenariosIT {
  static final String ACTIVE_RELAY = "outbox relay of order-service is active on this node";

  @RegisterExtension
  static final ProcessCluster cluster = new ProcessCluster();
  static Topology topology;

  @BeforeAll
  static void startTopology() {
    TestDatabases.assertPostgresWhenRequired();
    assumeTrue(TestDatabases.postgresUrl() != null, "needs a PostgreSQL server: -Dtest.db.url (bin/test sets it)");
    topology = Topology.postgres(cluster);
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
    Scenarios.happyPath(topology, "P1");
  }

  @Test
  @Order(2)
  @DisplayName("2. kill -9 an inventory-service with 200+ orders in flight: the survivor settles all within 60 s")
  void killInventoryInFlight() {
    ServiceProcess victim = topology.inventories().get(0);
    // Stock rows locked: both instances stall mid-transaction while orders pile up, then one dies with work in hand.
    Scenarios.killInventoryInFlight(topology, "P2", victim,
        new RowLocks(topology.inventoryDatabase().orElseThrow(), Scenarios.inFlightSkus("P2")), false);
  }

  @Test
  @Order(3)
  @DisplayName("3. kill -9 the order-service whose relay is active with 100+ orders in flight: the other relay takes "
      + "over, nothing lost")
  void killActiveRelay() {
    ServiceProcess active = Eventually.value("one order-service relay is active", Duration.ofSeconds(30),
        Duration.ofMillis(200), () -> topology.orders().stream().filter(o -> o.logContains(ACTIVE_RELAY)).findFirst());
    ServiceProcess standby = topology.orders().stream().filter(o -> o != active).findFirst().orElseThrow();
    assertThat(standby.logContains(ACTIVE_RELAY)).as("only one relay is active").isFalse();
    Shop shop = new Shop(topology);
    List<String> skus = List.of("P3-A", "P3-B", "P3-SCARCE");
    skus.forEach(sku -> shop.restock(sku, sku.endsWith("SCARCE") ? 40 : 100_000));
    int mark = topology.ledger().mark();
    RowLocks stall = new RowLocks(topology.inventoryDatabase().orElseThrow(), skus);
    long duplicatesBefore = Scenarios.duplicates(topology, Service.INVENTORY);
    try (Load load = Load.start(shop, Load.Plan.of(8, 6_000, Duration.ofSeconds(120), skus).paced(50))) {
      Eventually.until("orders stream in (100 accepted)", Duration.ofSeconds(60), () -> load.accepted() >= 100);
      Map<ServiceProcess, Long> gone = topology.goneCounts(active);
      // Inventory held back: the active relay has OrderPlaced events out, none acknowledged, when it dies.
      stall.begin();
      int inFlight;
      try {
        inFlight = Eventually.value("100 orders in flight", Duration.ofSeconds(60), Duration.ofMillis(100),
            () -> java.util.Optional.of(Scenarios.pending(topology)).filter(n -> n >= 100));
      } catch (AssertionError | RuntimeException e) {
        stall.end();
        throw e;
      }
      int acceptedAtKill = load.accepted();
      LocalTime killedAt = LocalTime.now();
      long killed = System.nanoTime();
      active.kill();
      if (!active.awaitExit(Duration.ofSeconds(30))) {
        throw new AssertionError(active + " survived kill -9");
      }
      stall.end();
      topology.awaitForgotten(active, gone);
      long forgotten = System.nanoTime();
      String takeover = standby.awaitLog(ACTIVE_RELAY, Duration.ofSeconds(30));
      long takeoverMs = GatewayLog.millisBetween(killedAt, LocalTime.parse(takeover.substring(0, 12)));
      int acceptedAfter = load.accepted();
      Eventually.until("200 more orders after the kill", Duration.ofSeconds(60),
          () -> load.accepted() >= acceptedAfter + 200);
      load.stop();
      Duration ran = load.await(Duration.ofSeconds(60));
      long stopped = System.nanoTime();
      String invariants = Invariants.check(topology, Scenarios.SETTLE);
      List<Ledger.Outcome> outcomes = topology.ledger().outcomesSince(mark);
      List<String> failed = outcomes.stream().filter(Ledger.Outcome::failed).map(o -> String.format("%s (sent %+d ms "
          + "from the kill)", o, Scenarios.millis(o.startNanos() - killed))).toList();
      System.out.printf("kill -9 %s (active relay) with %d orders in flight (%d accepted); gateways forgot it %d ms "
              + "after the kill; %s took over the relay %d ms after the kill; at rest %d ms after the load stopped "
              + "(%d ms after the kill); load ran %d ms, %d orders accepted; answers %s; %d redeliveries acknowledged "
              + "as duplicates; %s%n  failed: %s%n",
          active.name(), inFlight, acceptedAtKill, Scenarios.millis(forgotten - killed), standby.name(), takeoverMs,
          Scenarios.millis(System.nanoTime() - stopped), Scenarios.millis(System.nanoTime() - killed), ran.toMillis(),
          load.accepted(), Ledger.statusCounts(outcomes), Scenarios.duplicates(topology, Service.INVENTORY)
              - duplicatesBefore, invariants, String.join("\n  ", failed));
      // Only a POST the gateway had sent to the dying instance may fail (a 502: it cannot know whether it was
      // applied, so it does not send it again); GETs are retried on the other instance and never fail.
      assertThat(inFlight).as("orders in flight when the active relay was killed").isGreaterThanOrEqualTo(100);
      assertThat(outcomes.stream().filter(Ledger.Outcome::failed)).as("failed requests").allMatch(outcome ->
          !outcome.request().startsWith("GET") && outcome.status() == 502 && outcome.startNanos() <= forgotten
              && outcome.error().contains("order-service failed"));
    }
    topology.restart(active);
  }

  @Test
  @Order(5)
  @DisplayName("5. rolling restart (SIGTERM one instance of each service in turn, each back with a new certificate from "
      + "the same CA) under steady load: no request fails")
  void rollingRestart() {
    Shop shop = new Shop(topology);
    List<String> skus = List.of("P5-A", "P5-B", "P5-SCARCE");
    skus.forEach(sku -> shop.restock(sku, sku.endsWith("SCARCE") ? 40 : 100_000));
    int mark = topology.ledger().mark();
    List<String> steps = new ArrayList<>();
    try (Load load = Load.start(shop, Load.Plan.of(6, 20_000, Duration.ofSeconds(240), skus).paced(30))) {
      Eventually.until("steady load (50 accepted)", Duration.ofSeconds(60), () -> load.accepted() >= 50);
      for (ServiceProcess member : List.of(topology.inventories().get(0), topology.orders().get(0),
          topology.gateways().get(0))) {
        long signalled = System.nanoTime();
        topology.terminate(member);
        long exited = System.nanoTime();
        ServiceProcess restarted = topology.restart(member,
            TestCertificates.reissued(member.service().serviceName()));
        long ready = System.nanoTime();
        int accepted = load.accepted();
        Eventually.until("30 more orders after " + restarted.name() + " is back", Duration.ofSeconds(60),
            () -> load.accepted() >= accepted + 30);
        steps.add(String.format("%s: SIGTERM to exit %d ms, restart to ready and routed %d ms", member.name(),
            Scenarios.millis(exited - signalled), Scenarios.millis(ready - exited)));
      }
      load.stop();
      Duration ran = load.await(Duration.ofSeconds(60));
      List<Ledger.Outcome> outcomes = topology.ledger().outcomesSince(mark);
      System.out.printf("rolling restart under %d orders in %d ms: %s; answers %s%n", load.accepted(), ran.toMillis(),
          String.join("; ", steps), Ledger.statusCounts(outcomes));
      Scenarios.assertNoFailures(outcomes, "during the rolling restart");
    }
  }

  @Test
  @Order(6)
  @DisplayName("6. kill -9 an instance: the gateways stop routing to it within 10 s, and every GET succeeds meanwhile")
  void gatewaysStopRoutingToAKilledInstance() throws Exception {
    Shop shop = new Shop(topology);
    shop.restock("P6-A", 100);
    Shop.Answer order = shop.order(User.ALICE, Shop.line("P6-A", 1));
    assertThat(order.status()).isEqualTo(202);
    ServiceProcess victim = topology.inventories().get(1);
    ServiceProcess survivor = topology.inventories().get(0);
    String victimServedBy = "inventory-service/" + victim.instanceId();
    int mark = topology.ledger().mark();
    AtomicBoolean stop = new AtomicBoolean();
    ExecutorService clients = Executors.newFixedThreadPool(4);
    try {
      List<Future<?>> readers = new ArrayList<>();
      for (int i = 0; i < 4; i++) {
        String path = i % 2 == 0 ? "/api/inventory/P6-A" : "/api/orders/" + order.orderId();
        readers.add(clients.submit(() -> {
          for (int n = 0; n < 5_000 && !stop.get(); n++) {
            shop.get(User.ALICE, path);
          }
        }));
      }
      Eventually.until("both inventory instances serve GETs", Duration.ofSeconds(30), () -> topology.ledger()
          .outcomesSince(mark).stream().anyMatch(o -> victimServedBy.equals(o.servedBy())));
      LocalTime killedAt = LocalTime.now();
      long killed = System.nanoTime();
      victim.kill();
      // A gateway stops routing to it when its breaker opens (only a trial request every BREAKER_RESET_MS, retried
      // elsewhere, reaches it then) or when it forgets it (discovery), whichever comes first.
      List<String> report = new ArrayList<>();
      long worstMs = 0;
      for (ServiceProcess gateway : topology.gateways()) {
        String gone = gateway.awaitLog(GatewayLog.instanceGone(victim), Duration.ofSeconds(60));
        long goneMs = GatewayLog.millisBetween(killedAt, LocalTime.parse(gone.substring(0, 12)));
        long breakerMs = GatewayLog.firstTime(gateway, GatewayLog.breakerOpen(victim))
            .map(t -> GatewayLog.millisBetween(killedAt, t)).orElse(Long.MAX_VALUE);
        String lastTried = GatewayLog.lastTime(gateway, GatewayLog.failedOn(victim))
            .map(t -> GatewayLog.millisBetween(killedAt, t) + " ms").orElse("never");
        long stoppedMs = Math.min(goneMs, breakerMs);
        report.add(String.format("%s stopped routing to it after %d ms (breaker opened: %s, forgot it: %d ms, last "
                + "request tried on it: %s)", gateway.name(), stoppedMs,
            breakerMs == Long.MAX_VALUE ? "never" : breakerMs + " ms", goneMs, lastTried));
        worstMs = Math.max(worstMs, stoppedMs);
      }
      int afterGone = topology.ledger().mark();
      Eventually.until("40 more GETs after the gateways forgot it", Duration.ofSeconds(30),
          () -> topology.ledger().mark() >= afterGone + 40);
      stop.set(true);
      for (Future<?> reader : readers) {
        reader.get(30, TimeUnit.SECONDS);
      }
      List<Ledger.Outcome> outcomes = topology.ledger().outcomesSince(mark);
      long duringKill = outcomes.stream().filter(o -> o.startNanos() >= killed).count();
      System.out.printf("kill -9 %s: %s; %d GETs in all, %d after the kill; answers %s%n", victim.name(),
          String.join("; ", report), outcomes.size(), duringKill, Ledger.statusCounts(outcomes));
      assertThat(worstMs).as("ms from kill -9 until every gateway stopped routing to it").isLessThanOrEqualTo(10_000);
      assertThat(outcomes).as("every GET, before, during and after the kill").allMatch(o -> o.status() == 200);
      assertThat(outcomes.stream().filter(o -> o.startNanos() >= killed && o.request().contains("/api/inventory"))
          .map(Ledger.Outcome::servedBy)).as("after the kill only the survivor answers")
          .containsOnly("inventory-service/" + survivor.instanceId());
    } finally {
      stop.set(true);
      clients.shutdownNow();
    }
    topology.restart(victim);
  }

  @Test
  @Order(8)
  @DisplayName("8. oversell: 200 concurrent orders for 50 units confirm exactly 50, stock never negative")
  void oversell() throws Exception {
    Scenarios.oversell(topology, "P8");
  }
}
