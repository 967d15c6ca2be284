package io.github.vertxsaga.systemtests.process;

import io.github.vertxsaga.platform.db.DatabaseSettings;
import io.github.vertxsaga.platform.testing.Eventually;
import io.github.vertxsaga.platform.testing.TestDatabases;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A whole system of processes on one {@link ProcessCluster}, and the one way a test starts processes: it says what to
 * start, {@code Topology.of(cluster).inventory("inventory-1").inventory("inventory-2").gateway("gateway").start()},
 * and {@link Builder#start()} returns once it takes requests: every service ready, every gateway routing to every
 * service instance. The scenarios run on two: the embedded default (one inventory-service, one order-service and one
 * gateway, each service on its own H2 file), or PostgreSQL with several instances of each (the instances of a service
 * share its database). Clients alternate between the gateways ({@link GatewayBalancer}). A killed or stopped member
 * can be restarted as it was; the topology then waits until every gateway routes to it.
 */
public final class Topology {
  public static final Duration START = Duration.ofSeconds(120);
  /** How long a gateway may take to notice that an instance came or went (discovery announcement, janitor). */
  public static final Duration DISCOVERY = Duration.ofSeconds(30);
  /**
   * The gateways' time-out for one attempt at a service in the scenarios. The 5 s default is a latency promise no
   * one makes of a 2-core machine shared with other builds, where a starved JVM may take longer to answer; a request
   * that takes more than 15 s still fails the scenario.
   */
  static final Map<String, String> GATEWAY_SETTINGS = Map.of("GATEWAY_REQUEST_TIMEOUT_MS", "15000");

  private final ProcessCluster cluster;
  private final String description;
  private final List<ServiceProcess> inventories = new CopyOnWriteArrayList<>();
  private final List<ServiceProcess> orders = new CopyOnWriteArrayList<>();
  private final List<ServiceProcess> gateways = new CopyOnWriteArrayList<>();
  private final Map<Service, DatabaseSettings> databases;
  private final Ledger ledger = new Ledger();
  private GatewayBalancer balancer;

  private Topology(ProcessCluster cluster, String description, Map<Service, DatabaseSettings> databases) {
    this.cluster = cluster;
    this.description = description;
    this.databases = databases;
  }

  /** What to start on {@code cluster}. */
  public static Builder of(ProcessCluster cluster) {
    return new Builder(cluster);
  }

  /** One of each, on H2 files (ProcessCluster's default databases): what bin/run starts. */
  public static Topology embedded(ProcessCluster cluster) {
    return of(cluster).inventory("inventory").order("order").gateway("gateway", GATEWAY_SETTINGS)
        .describedAs("embedded: 1 inventory-service, 1 order-service, 1 gateway on H2").start();
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
    Builder builder = of(cluster).database(Service.INVENTORY, inventoryDb).database(Service.ORDER, orderDb)
        .describedAs("PostgreSQL: " + instances + " inventory-service, " + instances + " order-service, "
            + instances + " gateways");
    for (int i = 1; i <= instances; i++) {
      builder.inventory(name("inventory", i, instances), serviceSettings)
          .order(name("order", i, instances), serviceSettings);
    }
    for (int i = 1; i <= instances; i++) {
      builder.gateway(name("gateway", i, instances), GATEWAY_SETTINGS);
    }
    return builder.start();
  }

  /** The members to start, in order, with their settings. */
  public static final class Builder {
    private record Member(Service service, String name, Map<String, String> settings) {
    }

    private final ProcessCluster cluster;
    private final List<Member> members = new ArrayList<>();
    private final Map<Service, DatabaseSettings> databases = new EnumMap<>(Service.class);
    private String description;

    private Builder(ProcessCluster cluster) {
      this.cluster = cluster;
    }

    public Builder inventory(String name) {
      return inventory(name, Map.of());
    }

    /** An inventory-service instance with variables that add to or replace the defaults. */
    public Builder inventory(String name, Map<String, String> settings) {
      members.add(new Member(Service.INVENTORY, name, settings));
      return this;
    }

    public Builder order(String name) {
      return order(name, Map.of());
    }

    public Builder order(String name, Map<String, String> settings) {
      members.add(new Member(Service.ORDER, name, settings));
      return this;
    }

    public Builder gateway(String name) {
      return gateway(name, Map.of());
    }

    public Builder gateway(String name, Map<String, String> settings) {
      members.add(new Member(Service.GATEWAY, name, settings));
      return this;
    }

    /** Every instance of the service on this (PostgreSQL) database, rather than an H2 file each. */
    public Builder database(Service service, DatabaseSettings database) {
      databases.put(service, database);
      return this;
    }

    /** How the start is reported; by default the members' names. */
    public Builder describedAs(String description) {
      this.description = description;
      return this;
    }

    /** Starts every member and waits until the topology takes requests. */
    public Topology start() {
      Topology topology = new Topology(cluster, description != null ? description
          : members.stream().map(Member::name).toList().toString(), Map.copyOf(databases));
      long started = System.nanoTime();
      for (Member member : members) {
        Map<String, String> env = new HashMap<>();
        Optional.ofNullable(databases.get(member.service())).ifPresent(db -> env.putAll(Map.of("DB_URL", db.url(),
            "DB_USER", db.user(), "DB_PASSWORD", db.password())));
        env.putAll(member.settings());
        topology.listOf(member.service()).add(cluster.launch(member.service(), member.name(), env));
      }
      topology.services().forEach(service -> service.awaitReady(START));
      topology.gateways.forEach(topology::awaitRouting);
      topology.balancer = new GatewayBalancer(topology::gateways);
      cluster.onClose(topology.balancer::close);
      System.out.printf("topology %s ready in %d ms%n", topology.description,
          (System.nanoTime() - started) / 1_000_000);
      return topology;
    }
  }

  /**
   * Waits until the gateway routes to every live service instance. Its {@code /ready} also needs one instance of
   * each service, which a topology without order-service (say) never has: then it only needs to be up.
   */
  private void awaitRouting(ServiceProcess gateway) {
    if (inventories.isEmpty() || orders.isEmpty()) {
      gateway.awaitHealthy(START);
    } else {
      gateway.awaitReady(START);
    }
    GatewayLog.awaitKnows(gateway, services().stream().filter(ServiceProcess::isAlive).toArray(ServiceProcess[]::new));
  }

  private static String name(String service, int index, int count) {
    return count == 1 ? service : service + "-" + index;
  }

  /** What the clients of this topology were told, over every scenario run on it. */
  public Ledger ledger() {
    return ledger;
  }

  /** The PostgreSQL database inventory-service's instances share (none on the embedded topology). */
  public Optional<DatabaseSettings> inventoryDatabase() {
    return Optional.ofNullable(databases.get(Service.INVENTORY));
  }

  /** order-service's shared database, when its instances run on one (PostgreSQL), to check what it holds. */
  public Optional<DatabaseSettings> orderDatabase() {
    return Optional.ofNullable(databases.get(Service.ORDER));
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

  /** The next gateway in turn, as the balancer in front of them picks it: clients alternate. */
  public ServiceProcess gateway() {
    return balancer.next();
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
    before.forEach((gateway, count) -> Eventually.until(gateway.name() + " forgets " + process.name(), DISCOVERY,
        ServiceProcess.PROBE_EVERY, () -> gateway.logCount(GatewayLog.instanceGone(process)) > count));
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
    List<ServiceProcess> list = listOf(previous.service());
    int index = list.indexOf(previous);
    if (index < 0) {
      throw new IllegalArgumentException(previous + " is not a current member of this topology");
    }
    Map<ServiceProcess, Long> found = new HashMap<>();
    gateways.stream().filter(ServiceProcess::isAlive)
        .forEach(gateway -> found.put(gateway, gateway.logCount(GatewayLog.instanceFound(previous))));
    ServiceProcess restarted = cluster.relaunch(previous, changes);
    list.set(index, restarted);
    if (restarted.service() == Service.GATEWAY) {
      awaitRouting(restarted);
    } else {
      restarted.awaitReady(START);
      found.forEach((gateway, count) -> Eventually.until(gateway.name() + " routes to " + restarted.name() + " again",
          DISCOVERY, ServiceProcess.PROBE_EVERY, () -> gateway.logCount(GatewayLog.instanceFound(restarted)) > count));
    }
    return restarted;
  }

  public ServiceProcess restart(ServiceProcess previous) {
    return restart(previous, Map.of());
  }

  /**
   * Starts a stopped member again with some variables changed, without waiting for it to be ready: for a member that
   * is to halt by itself (a fault switch) on what it finds waiting for it, before it ever is.
   */
  public ServiceProcess relaunch(ServiceProcess previous, Map<String, String> changes) {
    List<ServiceProcess> list = listOf(previous.service());
    int index = list.indexOf(previous);
    if (index < 0) {
      throw new IllegalArgumentException(previous + " is not a current member of this topology");
    }
    ServiceProcess relaunched = cluster.relaunch(previous, changes);
    list.set(index, relaunched);
    return relaunched;
  }

  private List<ServiceProcess> listOf(Service service) {
    return switch (service) {
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
        gateways.stream().filter(ServiceProcess::isAlive).forEach(gateway -> Eventually.until(gateway.name()
            + " forgets " + process.name(), DISCOVERY, ServiceProcess.PROBE_EVERY, () -> gateway.logLines().stream()
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
