package io.github.vertxsaga.systemtests.process;

import io.github.vertxsaga.platform.db.DatabaseSettings;
import io.github.vertxsaga.platform.testing.TestDatabases;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A whole system of processes on one {@link ProcessCluster}, as the scenarios drive it: the embedded default (one
 * inventory-service, one order-service and one gateway, each service on its own H2 file), or PostgreSQL with several
 * instances of each (the instances of a service share its database). Clients alternate between the gateways, as
 * behind a load balancer that health-checks them: a gateway whose {@code /ready} does not answer 200 (it is draining
 * before it stops, or gone) gets no new requests until it does again. A killed or stopped member can be restarted as
 * it was; the topology then waits until every gateway routes to it.
 */
public final class Topology {
  public static final Duration START = Duration.ofSeconds(120);
  /** How long a gateway may take to notice that an instance came or went (discovery announcement, janitor). */
  public static final Duration DISCOVERY = Duration.ofSeconds(30);
  /**
   * The gateways' time-out for one attempt at a service. The 5 s default is a latency promise the issue does not
   * make of a 2-core machine shared with other builds, where a starved JVM may take longer to answer; a request that
   * takes more than 15 s still fails the scenario.
   */
  static final Map<String, String> GATEWAY_SETTINGS = Map.of("GATEWAY_REQUEST_TIMEOUT_MS", "15000");

  private final ProcessCluster cluster;
  private final String description;
  private final List<ServiceProcess> inventories = new CopyOnWriteArrayList<>();
  private final List<ServiceProcess> orders = new CopyOnWriteArrayList<>();
  private final List<ServiceProcess> gateways = new CopyOnWriteArrayList<>();
  private final AtomicInteger nextGateway = new AtomicInteger();
  private final Map<String, Boolean> gatewayReady = new java.util.concurrent.ConcurrentHashMap<>();
  private final Ledger ledger = new Ledger();
  private DatabaseSettings inventoryDatabase;
  private DatabaseSettings orderDatabase;

  private Topology(ProcessCluster cluster, String description) {
    this.cluster = cluster;
    this.description = description;
  }

  /** One of each, on H2 files (ProcessCluster's default databases): what bin/run starts. */
  public static Topology embedded(ProcessCluster cluster) {
    Topology topology = new Topology(cluster, "embedded: 1 inventory-service, 1 order-service, 1 gateway on H2");
    topology.startAll(1, 1, Map.of(), Map.of(), GATEWAY_SETTINGS);
    return topology;
  }

  /**
   * Two instances of each service and two gateways, each service's instances on one fresh PostgreSQL database of
   * the server bin/test prepared (dropped when the cluster closes).
   */
  public static Topology postgres(ProcessCluster cluster) {
    TestDatabases.assertPostgresWhenRequired();
    DatabaseSettings inventoryDb = TestDatabases.fresh(TestDatabases.Kind.POSTGRES, "it_inventory");
    cluster.onClose(() -> TestDatabases.drop(inventoryDb));
    DatabaseSettings orderDb = TestDatabases.fresh(TestDatabases.Kind.POSTGRES, "it_orders");
    cluster.onClose(() -> TestDatabases.drop(orderDb));
    return postgres(cluster, inventoryDb, orderDb, 2, Map.of());
  }

  /** {@code instances} of each service and as many gateways, on the given PostgreSQL databases. */
  public static Topology postgres(ProcessCluster cluster, DatabaseSettings inventoryDb, DatabaseSettings orderDb,
                                  int instances, Map<String, String> serviceSettings) {
    Topology topology = new Topology(cluster, "PostgreSQL: " + instances + " inventory-service, " + instances
        + " order-service, " + instances + " gateways");
    topology.inventoryDatabase = inventoryDb;
    topology.orderDatabase = orderDb;
    Map<String, String> inventoryEnv = new HashMap<>(serviceSettings);
    inventoryEnv.putAll(database(inventoryDb));
    Map<String, String> orderEnv = new HashMap<>(serviceSettings);
    orderEnv.putAll(database(orderDb));
    topology.startAll(instances, instances, inventoryEnv, orderEnv, GATEWAY_SETTINGS);
    return topology;
  }

  private static Map<String, String> database(DatabaseSettings db) {
    return Map.of("DB_URL", db.url(), "DB_USER", db.user(), "DB_PASSWORD", db.password());
  }

  private void startAll(int services, int gatewayCount, Map<String, String> inventoryEnv,
                        Map<String, String> orderEnv, Map<String, String> gatewayEnv) {
    long started = System.nanoTime();
    for (int i = 1; i <= services; i++) {
      inventories.add(cluster.start(Service.INVENTORY, name("inventory", i, services), inventoryEnv));
      orders.add(cluster.start(Service.ORDER, name("order", i, services), orderEnv));
    }
    for (int i = 1; i <= gatewayCount; i++) {
      gateways.add(cluster.start(Service.GATEWAY, name("gateway", i, gatewayCount), gatewayEnv));
    }
    services().forEach(service -> service.awaitReady(START));
    gateways.forEach(gateway -> {
      gateway.awaitReady(START);
      GatewayLog.awaitKnows(gateway, services().toArray(ServiceProcess[]::new));
    });
    System.out.printf("topology %s ready in %d ms%n", description, (System.nanoTime() - started) / 1_000_000);
    if (gatewayCount > 1) {
      Thread checker = new Thread(this::checkGateways, "gateway-health-check");
      checker.setDaemon(true);
      checker.start();
      cluster.onClose(checker::interrupt);
    }
  }

  /** The balancer's health check: every 100 ms, each gateway's {@code /ready}. */
  private void checkGateways() {
    while (!Thread.currentThread().isInterrupted()) {
      for (ServiceProcess gateway : gateways) {
        boolean ready;
        try {
          ready = gateway.isAlive() && Http.send(java.net.http.HttpRequest.newBuilder(gateway.uri("/ready")).GET(),
              Duration.ofSeconds(1)).status() == 200;
        } catch (RuntimeException e) {
          ready = false;
        }
        gatewayReady.put(gateway.name() + "/" + gateway.pid(), ready);
      }
      try {
        Thread.sleep(100);
      } catch (InterruptedException e) {
        return;
      }
    }
  }

  private static String name(String service, int index, int count) {
    return count == 1 ? service : service + "-" + index;
  }

  public String description() {
    return description;
  }

  /** What the clients of this topology were told, over every scenario run on it. */
  public Ledger ledger() {
    return ledger;
  }

  /** The PostgreSQL database inventory-service's instances share (none on the embedded topology). */
  public java.util.Optional<DatabaseSettings> inventoryDatabase() {
    return java.util.Optional.ofNullable(inventoryDatabase);
  }

  public java.util.Optional<DatabaseSettings> orderDatabase() {
    return java.util.Optional.ofNullable(orderDatabase);
  }

  public ProcessCluster cluster() {
    return cluster;
  }

  public List<ServiceProcess> inventories() {
    return List.copyOf(inventories);
  }

  public List<ServiceProcess> orders() {
    return List.copyOf(orders);
  }

  public List<ServiceProcess> gateways() {
    return List.copyOf(gateways);
  }

  /** Every service instance (not the gateways). */
  public List<ServiceProcess> services() {
    List<ServiceProcess> all = new ArrayList<>(inventories);
    all.addAll(orders);
    return all;
  }

  public List<ServiceProcess> all() {
    List<ServiceProcess> all = services();
    all.addAll(gateways);
    return all;
  }

  /**
   * The next gateway in turn that passed its last health check (any, before the first check or if none passed):
   * clients alternate.
   */
  public ServiceProcess gateway() {
    List<ServiceProcess> current = gateways();
    List<ServiceProcess> healthy = current.stream()
        .filter(gateway -> gatewayReady.getOrDefault(gateway.name() + "/" + gateway.pid(), false)).toList();
    List<ServiceProcess> choice = healthy.isEmpty() ? current : healthy;
    return choice.get(Math.floorMod(nextGateway.getAndIncrement(), choice.size()));
  }

  /** {@code path} on the next gateway in turn. */
  public URI api(String path) {
    return gateway().uri(path);
  }

  /** kill -9, then waits until the process is gone and every gateway has forgotten it. */
  public void kill(ServiceProcess process) {
    Map<ServiceProcess, Long> gone = goneCounts(process);
    process.kill();
    awaitExit(process);
    awaitForgotten(process, gone);
  }

  /** SIGTERM, then waits until the process has exited (after its drain) and every gateway has forgotten it. */
  public void terminate(ServiceProcess process) {
    Map<ServiceProcess, Long> gone = goneCounts(process);
    process.terminate();
    awaitExit(process);
    awaitForgotten(process, gone);
  }

  /** How many times each gateway logged forgetting the instance so far; see {@link #awaitForgotten}. */
  public Map<ServiceProcess, Long> goneCounts(ServiceProcess process) {
    Map<ServiceProcess, Long> counts = new HashMap<>();
    if (process.service() != Service.GATEWAY) {
      gateways.stream().filter(ServiceProcess::isAlive)
          .forEach(gateway -> counts.put(gateway, gateway.logCount(GatewayLog.instanceGone(process))));
    }
    return counts;
  }

  /** Waits until each gateway logged forgetting the instance once more than in {@code before}. */
  public void awaitForgotten(ServiceProcess process, Map<ServiceProcess, Long> before) {
    before.forEach((gateway, count) -> Await.until(gateway.name() + " forgets " + process.name(), DISCOVERY,
        () -> gateway.logCount(GatewayLog.instanceGone(process)) > count));
  }

  private static void awaitExit(ServiceProcess process) {
    if (!process.awaitExit(Duration.ofSeconds(60))) {
      throw new AssertionError(process + " did not exit within 60 s");
    }
  }

  /**
   * Starts a stopped member again as it was configured, with some variables changed (empty means the default), and
   * waits until it is ready and every gateway routes to it (a restarted gateway: until it knows every instance).
   */
  public ServiceProcess restart(ServiceProcess previous, Map<String, String> changes) {
    List<ServiceProcess> list = listOf(previous);
    int index = list.indexOf(previous);
    if (index < 0) {
      throw new IllegalArgumentException(previous + " is not a current member of this topology");
    }
    Map<ServiceProcess, Long> found = new HashMap<>();
    gateways.stream().filter(ServiceProcess::isAlive)
        .forEach(gateway -> found.put(gateway, gateway.logCount(GatewayLog.instanceFound(previous))));
    ServiceProcess restarted = cluster.restart(previous, changes);
    list.set(index, restarted);
    restarted.awaitReady(START);
    if (restarted.service() == Service.GATEWAY) {
      GatewayLog.awaitKnows(restarted, services().stream().filter(ServiceProcess::isAlive)
          .toArray(ServiceProcess[]::new));
    } else {
      found.forEach((gateway, count) -> Await.until(gateway.name() + " routes to " + restarted.name() + " again",
          DISCOVERY, () -> gateway.logCount(GatewayLog.instanceFound(restarted)) > count));
    }
    return restarted;
  }

  public ServiceProcess restart(ServiceProcess previous) {
    return restart(previous, Map.of());
  }

  private List<ServiceProcess> listOf(ServiceProcess process) {
    return switch (process.service()) {
      case INVENTORY -> inventories;
      case ORDER -> orders;
      case GATEWAY -> gateways;
    };
  }

  /**
   * Makes the topology whole again for the next scenario: resumes frozen members and restarts dead ones. Returns what
   * was found dead, so that a scenario that left a member dead (or one that died by itself) still fails.
   */
  public List<String> heal() {
    List<String> dead = new ArrayList<>();
    for (ServiceProcess process : all()) {
      if (process.isAlive()) {
        process.thaw();
        continue;
      }
      dead.add(process + " exited with " + process.exitValue() + "; log " + process.logFile() + ":\n"
          + process.tail(20));
      if (process.service() != Service.GATEWAY) {
        gateways.stream().filter(ServiceProcess::isAlive).forEach(gateway -> Await.until(gateway.name()
            + " forgets " + process.name(), DISCOVERY, () -> gateway.logLines().stream()
            .filter(line -> line.contains(GatewayLog.instanceFound(process))
                || line.contains(GatewayLog.instanceGone(process)))
            .reduce((first, second) -> second).map(line -> line.contains("instance gone")).orElse(true)));
      }
      restart(process);
    }
    return dead;
  }

  /** Every line of every log of the service, over all its instances and restarts so far. */
  public List<String> logLines(Service service) {
    return cluster.logLines(service);
  }
}
