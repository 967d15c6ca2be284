package io.github.vertxsaga.systemtests.hosts;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.vertxsaga.platform.db.DatabaseSettings;
import io.github.vertxsaga.platform.testing.Eventually;
import io.github.vertxsaga.systemtests.User;
import io.github.vertxsaga.systemtests.process.GatewayLog;
import io.github.vertxsaga.systemtests.process.Invariants;
import io.github.vertxsaga.systemtests.process.Ledger;
import io.github.vertxsaga.systemtests.process.Load;
import io.github.vertxsaga.systemtests.process.PrivatePostgres;
import io.github.vertxsaga.systemtests.process.ProcessCluster;
import io.github.vertxsaga.systemtests.process.Service;
import io.github.vertxsaga.systemtests.process.ServiceProcess;
import io.github.vertxsaga.systemtests.process.Shop;
import io.github.vertxsaga.systemtests.process.Topology;
import io.github.vertxsaga.systemtests.scenarios.Scenarios;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The system on seven real network hosts of this machine ({@link Hosts}): two order-services, two inventory-services
 * and two gateways each on a host of its own, configured as on separate machines ({@code CLUSTER_HOST} its address,
 * {@code CLUSTER_MEMBERS} the others'), and PostgreSQL on the seventh; the clients, in the test JVM, alternate between
 * the gateways. One topology for the class: each scenario heals what it broke, and the invariants of the other
 * scenarios are checked after each. Each prints its recovery time (the fault healed to the first moment every
 * instance has taken part in a complete order, see {@link Recovery}) and the redeliveries the inboxes absorbed as
 * duplicates.
 */
@DisplayName("The system on separate network hosts: partitions, split brain, a frozen member, a slow network")
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class MultiHostIT {
  private static final Duration FAULT = Duration.ofSeconds(30);
  private static final Duration FROZEN = Duration.ofSeconds(20);
  private static final Pattern ACTIVE = Pattern.compile(
      "outbox relay of order-service is active on this node \\(lease token (\\d+)\\)");
  private static final List<String> MEMBERS = List.of("inventory-1", "order-1", "inventory-2", "order-2",
      "gateway-1", "gateway-2");

  @RegisterExtension
  @Order(1)
  static final Hosts hosts = new Hosts();
  @RegisterExtension
  @Order(2)
  static final ProcessCluster cluster = new ProcessCluster();
  static Topology topology;

  @BeforeAll
  static void startOnHosts() {
    Optional<Path> postgres = PrivatePostgres.installation();
    if (postgres.isEmpty()) {
      if (Boolean.getBoolean("test.db.required")) {
        Assertions.fail("no local PostgreSQL installation (initdb, pg_ctl) for the hosts' database server, and "
            + "test.db.required is set (bin/test, CI): this test may not be skipped");
      }
      Assumptions.abort("needs a local PostgreSQL installation (initdb, pg_ctl) for the hosts' database server");
    }
    Hosts.Host dbHost = hosts.add("postgres");
    Map<String, ProcessCluster.Placement> placements = new HashMap<>();
    for (String member : MEMBERS) {
      Hosts.Host host = hosts.add(member);
      placements.put(member, new ProcessCluster.Placement(host.commandPrefix(), host.address()));
    }
    PrivatePostgres server = PrivatePostgres.start(postgres.get(), dbHost.commandPrefix(), dbHost.address(),
        hosts.network());
    cluster.onClose(server::close);
    DatabaseSettings inventoryDb = server.createDatabase("hosts_inventory");
    DatabaseSettings orderDb = server.createDatabase("hosts_orders");
    cluster.placeOn(placements);
    topology = Topology.postgres(cluster, inventoryDb, orderDb, 2, Map.of());
    topology.all().forEach(member -> System.out.println("  " + member.name() + " on " + member.host()));
  }

  @AfterEach
  void invariantsHold() {
    hosts.healRules();
    hosts.all().forEach(hosts::plugIn);
    List<String> dead = topology.heal();
    Invariants.check(topology, Scenarios.SETTLE);
    assertThat(dead).as("members found dead after the scenario").isEmpty();
  }

  @Test
  @Order(1)
  @DisplayName("1. happy path across the hosts: one order's events in both services' logs, every instance takes part")
  void happyPath() {
    Scenarios.happyPath(topology, "H1");
    Report report = Report.start("H1");
    report.recovered(System.nanoTime());
    report.print("happy path across the hosts (recovery: from the start)");
  }

  @Test
  @Order(2)
  @DisplayName("2. an inventory host cut off from every other host for 30 s under load, then healed")
  void inventoryHostCutOff() {
    Hosts.Host victim = hosts.host("inventory-1");
    Report report = Report.start("H2");
    try (Load load = report.load(20)) {
      Eventually.until("steady load (30 accepted)", Duration.ofSeconds(60), () -> load.accepted() >= 30);
      long cut = System.nanoTime();
      hosts.unplug(victim);
      report.during(FAULT);
      hosts.plugIn(victim);
      long healed = System.nanoTime();
      report.recovered(healed);
      report.finish(load);
      report.print("inventory-1's host unplugged " + FAULT.toSeconds() + " s");
      // Orders never need inventory-service to be answered: nothing a client sent fails.
      Scenarios.assertNoFailures(report.outcomes(), "while inventory-1 was cut off " + Scenarios.millis(healed - cut)
          + " ms");
    }
  }

  @Test
  @Order(3)
  @DisplayName("3. split brain: two halves of one order-service, one inventory-service and one gateway each for 30 s "
      + "under load; the halves merge, nothing is applied twice and both relays' backlogs drain")
  void splitBrain() {
    List<Hosts.Host> one = List.of(hosts.host("order-1"), hosts.host("inventory-1"), hosts.host("gateway-1"));
    List<Hosts.Host> other = List.of(hosts.host("order-2"), hosts.host("inventory-2"), hosts.host("gateway-2"));
    // The database and the clients still reach both halves: each half goes on serving on its own, the relay leases
    // and the inboxes keep them from delivering or applying anything twice.
    Report report = Report.start("H3");
    try (Load load = report.load(20)) {
      Eventually.until("steady load (30 accepted)", Duration.ofSeconds(60), () -> load.accepted() >= 30);
      long cut = System.nanoTime();
      hosts.partition(one, other);
      report.during(FAULT);
      hosts.healRules();
      long healed = System.nanoTime();
      report.recovered(healed);
      report.finish(load);
      report.print("split into {order-1, inventory-1, gateway-1} | {order-2, inventory-2, gateway-2} for "
          + FAULT.toSeconds() + " s");
      // A request a gateway sent across the cut before it forgot the other half's instances may fail, and one sent
      // while the merge replaces the discovery map (an instance's record is back within a second); once every
      // instance has taken part in an order again, nothing fails.
      assertFailuresOnlyWithin(report.outcomes(), cut, healed + report.recovery.toNanos(), "the split brain");
    }
  }

  @Test
  @Order(4)
  @DisplayName("4. the order-service whose relay is active frozen with SIGSTOP for 20 s under load, then SIGCONT")
  void activeRelayFrozen() {
    ServiceProcess holder = activeRelay();
    Report report = Report.start("H4");
    try (Load load = report.load(20)) {
      Eventually.until("steady load (30 accepted)", Duration.ofSeconds(60), () -> load.accepted() >= 30);
      long frozen = System.nanoTime();
      holder.freeze();
      report.during(FROZEN);
      holder.thaw();
      long healed = System.nanoTime();
      report.recovered(healed);
      report.finish(load);
      report.print(holder.name() + " (active relay) frozen " + FROZEN.toSeconds() + " s");
      // Requests the gateways sent the frozen instance before they forgot it time out (504) or fail, and so may one
      // sent while it merges back; once every instance has taken part in an order again, nothing fails.
      assertFailuresOnlyWithin(report.outcomes(), frozen, healed + report.recovery.toNanos(), "the freeze");
    }
  }

  @Test
  @Order(5)
  @DisplayName("5. a slow, lossy network (50 ms ± 10 ms and 1 % loss on every link): the saga completes")
  void slowNetwork() throws Exception {
    Report report = Report.start("H5");
    String applied = hosts.slow(50, 10, 1);
    List<Long> confirmedMillis = new java.util.concurrent.CopyOnWriteArrayList<>();
    Shop shop = new Shop(topology);
    ExecutorService clients = Executors.newFixedThreadPool(4);
    try {
      List<Future<?>> running = new ArrayList<>();
      for (int c = 0; c < 4; c++) {
        running.add(clients.submit(() -> {
          for (int i = 0; i < 25; i++) {
            Shop.Answer answer = shop.order(User.ALICE, Shop.line(report.sku, 1));
            if (answer.status() != 202) {
              continue;
            }
            long accepted = answer.outcome().endNanos();
            String status = Scenarios.awaitStatus(shop, User.ALICE, answer.orderId());
            if ("CONFIRMED".equals(status)) {
              confirmedMillis.add(Scenarios.millis(System.nanoTime() - accepted));
            }
          }
        }));
      }
      for (Future<?> client : running) {
        client.get(180, TimeUnit.SECONDS);
      }
    } finally {
      clients.shutdownNow();
    }
    hosts.healRules();
    report.recovered(System.nanoTime());
    List<Long> sorted = confirmedMillis.stream().sorted().toList();
    report.print(String.format("slow network (%s): %d orders CONFIRMED, accepted to CONFIRMED p50 %d ms, p99 %d ms",
        applied, sorted.size(), percentile(sorted, 50), percentile(sorted, 99)));
    assertThat(sorted).as("orders confirmed on the slow network").hasSizeGreaterThanOrEqualTo(90);
    Scenarios.assertNoFailures(report.outcomes(), "on the slow network");
  }

  @Test
  @Order(6)
  @DisplayName("6. a gateway cut off from one inventory instance only: it stops routing there, GETs keep succeeding")
  void gatewayCutOffFromOneInventory() throws Exception {
    ServiceProcess gateway = topology.gateways().get(0);
    ServiceProcess victim = topology.inventories().get(0);
    Shop shop = new Shop(topology);
    Report report = Report.start("H6");
    String victimServedBy = "inventory-service/" + victim.instanceId();
    AtomicBoolean stop = new AtomicBoolean();
    ExecutorService clients = Executors.newFixedThreadPool(4);
    List<Future<?>> running = new ArrayList<>();
    long cut;
    long healed;
    try {
      for (int c = 0; c < 4; c++) {
        running.add(clients.submit(() -> {
          long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
          while (!stop.get() && System.nanoTime() < deadline) {
            shop.get(gateway, User.ADMIN, "/api/inventory/" + report.sku);
          }
        }));
      }
      Eventually.until("GETs flow", Duration.ofSeconds(30), () -> report.outcomes().size() >= 20);
      cut = System.nanoTime();
      hosts.cut(hosts.host(gateway.name()), hosts.host(victim.name()), victim.httpPort());
      Eventually.until(gateway.name() + " opens its breaker to " + victim.name(), FAULT.multipliedBy(2), Duration.ofMillis(200),
          () -> gateway.logContains(GatewayLog.breakerOpen(victim)));
      long opened = System.nanoTime();
      // Once the breaker is open, the GETs of the next seconds go to the other instance only.
      int mark = topology.ledger().mark();
      report.during(Duration.ofSeconds(10));
      List<Ledger.Outcome> whileOpen = topology.ledger().outcomesSince(mark);
      hosts.healRules();
      healed = System.nanoTime();
      report.recovered(healed);
      Eventually.until(gateway.name() + " routes to " + victim.name() + " again", Recovery.LIMIT,
          Duration.ofMillis(200), () -> victimServedBy.equals(shop.get(gateway, User.ADMIN, "/api/inventory/"
              + report.sku).outcome().servedBy()));
      long routedAgain = System.nanoTime();
      stop.set(true);
      for (Future<?> client : running) {
        client.get(60, TimeUnit.SECONDS);
      }
      report.print(String.format("%s cut off from %s's API port only: breaker open %d ms after the cut, routed to "
              + "it again %d ms after the heal", gateway.name(), victim.name(), Scenarios.millis(opened - cut),
          Scenarios.millis(routedAgain - healed)));
      assertThat(whileOpen).as("GETs while the breaker was open").isNotEmpty()
          .noneMatch(outcome -> victimServedBy.equals(outcome.servedBy()));
      Scenarios.assertNoFailures(report.outcomes(), "while " + gateway.name() + " was cut off from " + victim.name());
    } finally {
      stop.set(true);
      clients.shutdownNow();
    }
  }

  /** The order-service that holds the relay's lease: the latest token any instance logged taking. */
  private static ServiceProcess activeRelay() {
    return Eventually.value("one order-service relay is active", Duration.ofSeconds(30), Duration.ofMillis(200),
        () -> topology.orders().stream().filter(ServiceProcess::isAlive)
            .max(Comparator.comparingLong(MultiHostIT::lastToken)).filter(order -> lastToken(order) > 0));
  }

  private static long lastToken(ServiceProcess order) {
    long token = 0;
    for (String line : order.logLines()) {
      Matcher matcher = ACTIVE.matcher(line);
      if (matcher.find()) {
        token = Math.max(token, Long.parseLong(matcher.group(1)));
      }
    }
    return token;
  }

  /** Only requests in flight at some moment from {@code from} to {@code to} failed (one sent just before may hang). */
  private static void assertFailuresOnlyWithin(List<Ledger.Outcome> outcomes, long from, long to, String fault) {
    Predicate<Ledger.Outcome> within = outcome -> outcome.endNanos() >= from && outcome.startNanos() <= to;
    List<String> outside = outcomes.stream().filter(Ledger.Outcome::failed).filter(within.negate())
        .map(o -> String.format("%s (sent %+d ms, answered %+d ms from the fault)", o,
            Scenarios.millis(o.startNanos() - from), Scenarios.millis(o.endNanos() - from))).toList();
    assertThat(outside).as("failed requests not in flight between " + fault + " and the recovery").isEmpty();
  }

  private static long percentile(List<Long> sorted, int percent) {
    if (sorted.isEmpty()) {
      return -1;
    }
    return sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(percent / 100.0 * sorted.size()) - 1));
  }

  /** One scenario's figures: its load, its recovery, the duplicates absorbed meanwhile. */
  private static final class Report {
    final String sku;
    private final int mark;
    private final long duplicatesBefore;
    Duration recovery;
    private Duration loadRan;
    private int accepted = -1;

    private Report(String prefix) {
      this.sku = prefix + "-A";
      new Shop(topology).restock(sku, 1_000_000);
      this.mark = topology.ledger().mark();
      this.duplicatesBefore = duplicates();
    }

    static Report start(String prefix) {
      return new Report(prefix);
    }

    Load load(int perSecond) {
      return Load.start(new Shop(topology), Load.Plan.of(6, 10_000, Duration.ofSeconds(150), List.of(sku))
          .paced(perSecond));
    }

    /** Lets the fault last, the load going on: the one wait of a fixed length, since the fault is a duration. */
    void during(Duration fault) {
      long until = System.nanoTime() + fault.toNanos();
      Eventually.until("the fault has lasted " + fault.toSeconds() + " s", fault.plusSeconds(10),
          Duration.ofMillis(200), () -> System.nanoTime() >= until);
    }

    void recovered(long healedNanos) {
      recovery = Recovery.await(topology, sku, healedNanos);
    }

    void finish(Load load) {
      load.stop();
      loadRan = load.await(Duration.ofSeconds(60));
      accepted = load.accepted();
    }

    List<Ledger.Outcome> outcomes() {
      return topology.ledger().outcomesSince(mark);
    }

    void print(String what) {
      System.out.printf("%s: recovery %d ms (healed to every instance in a complete order); %d duplicates absorbed; "
              + "%s answers %s%n", what, recovery.toMillis(), duplicates() - duplicatesBefore,
          loadRan == null ? "" : "load ran " + loadRan.toMillis() + " ms, " + accepted + " orders accepted;",
          Ledger.statusCounts(outcomes()));
      outcomes().stream().filter(Ledger.Outcome::failed).limit(10).forEach(o -> System.out.println("  failed: " + o));
    }

    private static long duplicates() {
      return Scenarios.duplicates(topology, Service.INVENTORY) + Scenarios.duplicates(topology, Service.ORDER);
    }
  }
}
