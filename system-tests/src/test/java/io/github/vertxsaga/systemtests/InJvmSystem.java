package io.github.vertxsaga.systemtests;

import static io.github.vertxsaga.platform.testing.Eventually.result;

import io.github.vertxsaga.gateway.Gateway;
import io.github.vertxsaga.gateway.GatewaySettings;
import io.github.vertxsaga.platform.node.RunningNode;
import io.github.vertxsaga.platform.testing.TestCertificates;
import io.github.vertxsaga.inventory.InventoryService;
import io.github.vertxsaga.order.OrderService;
import io.github.vertxsaga.platform.service.ServiceHost;
import io.github.vertxsaga.platform.service.ServiceSettings;
import io.github.vertxsaga.platform.db.DatabaseSettings;
import io.github.vertxsaga.platform.testing.Eventually;
import io.github.vertxsaga.platform.testing.TestDatabases.Kind;
import io.github.vertxsaga.platform.testing.TestDatabases;
import io.github.vertxsaga.platform.testing.TestTokens;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.IntStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The whole system in this JVM: order-service, inventory-service and, when asked for, the gateway, each started as
 * its {@code main} starts it but configured from a map instead of the process environment, clustered on loopback
 * under a cluster name of its own, each service on a fresh database of one kind (dropped on {@link #close()}). Tests
 * talk to it over real HTTP with {@link Http}, and may stop and start inventory-service in between.
 *
 * <p>Every in-JVM test starts the system here, and only here, so how a service starts changes in one place:
 * {@code InJvmSystem.on(kind).named("outage").start()}, or {@code .withGateway(Map.of("RATE_LIMIT_BURST", "5"))}.
 */
public final class InJvmSystem implements AutoCloseable {
  /** How long a test waits for the saga to settle, a member to start or to leave. */
  public static final Duration SETTLE = Duration.ofSeconds(30);
  /** Consumer failures before an event is dead-lettered: few, so a refused event is parked quickly. */
  public static final int OUTBOX_MAX_FAILURES = 5;
  /** Fast retries so an outage ends quickly; an ack time-out long enough for a loaded 2-core machine. */
  private static final Map<String, String> FAST_OUTBOX = Map.of("OUTBOX_ACK_TIMEOUT_MS", "5000",
      "OUTBOX_POLL_MS", "100", "OUTBOX_BATCH_SIZE", "200", "OUTBOX_MAX_FAILURES", Integer.toString(OUTBOX_MAX_FAILURES),
      "OUTBOX_BACKOFF_BASE_MS", "10", "OUTBOX_BACKOFF_MAX_MS", "200", "OUTBOX_RETENTION_MS", "86400000");
  /** Rate limits no test reaches unless it sets its own: tests burst, all from one address. */
  private static final Map<String, String> GATEWAY_DEFAULTS = Map.of("AUTH_USERS", TestTokens.USERS,
      "GATEWAY_INSTANCES", "1", "DISCOVERY_REFRESH_MS", "200", "RATE_LIMIT_PER_SECOND", "100000",
      "RATE_LIMIT_BURST", "100000", "AUTH_RATE_LIMIT_PER_MINUTE", "100000", "AUTH_RATE_LIMIT_BURST", "100000");
  private static final Logger log = LoggerFactory.getLogger(InJvmSystem.class);

  private final Map<String, String> common = new HashMap<>();
  private final DatabaseSettings orderDatabase;
  private final DatabaseSettings inventoryDatabase;
  private final int orderPort = Ports.free();
  private final int inventoryPort = Ports.free();
  private final int gatewayPort = Ports.free();
  private volatile ServiceHost order;
  private volatile ServiceHost inventory;
  private volatile RunningNode gateway;
  private final SpanExporter spans;

  private InJvmSystem(Builder plan) {
    this.spans = plan.spans;
    int base = Ports.inJvmClusterBlock();
    common.putAll(Map.of(
        "CLUSTER_NAME", "jvm-" + plan.label + "-" + plan.kind.name().toLowerCase() + "-" + UUID.randomUUID().toString()
            .substring(0, 8),
        "CLUSTER_HOST", "127.0.0.1",
        "CLUSTER_PORT", Integer.toString(base),
        // Three members, and room for a restarted one while the cluster still counts its predecessor.
        "CLUSTER_MEMBERS", String.join(",", IntStream.range(base, base + 4).mapToObj(p -> "127.0.0.1:" + p).toList()),
        "JWT_SECRET", TestTokens.SECRET,
        "SHUTDOWN_GRACE_MS", "0"));
    common.putAll(plan.everyMember);
    this.orderDatabase = TestDatabases.fresh(plan.kind, plan.label + "_orders");
    this.inventoryDatabase = TestDatabases.fresh(plan.kind, plan.label + "_inventory");
  }

  public static Builder on(Kind kind) {
    return new Builder(kind);
  }

  /** What to start; {@link #start()} starts it and waits until it takes requests. */
  public static final class Builder {
    private final Kind kind;
    private String label = "system";
    private Map<String, String> gatewaySettings;
    private final Map<String, String> everyMember = new HashMap<>();
    private SpanExporter spans;

    private Builder(Kind kind) {
      this.kind = kind;
    }

    /** Names the cluster and the databases after the test, to tell them apart in logs and on the server. */
    public Builder named(String label) {
      this.label = label;
      return this;
    }

    /** Starts the gateway too, once both services are up. */
    public Builder withGateway() {
      return withGateway(Map.of());
    }

    /** As {@link #withGateway()}, with variables added to the gateway's environment (rate limits, ...). */
    public Builder withGateway(Map<String, String> settings) {
      this.gatewaySettings = Map.copyOf(settings);
      return this;
    }

    /** Variables added to every member's environment; an empty value unsets one (as {@code JWT_SECRET=""}). */
    public Builder everyMember(Map<String, String> settings) {
      everyMember.putAll(settings);
      return this;
    }

    /** Every member records its spans and hands them to {@code exporter}, as soon as each ends. */
    public Builder exportingSpansTo(SpanExporter exporter) {
      this.spans = exporter;
      return this;
    }

    /** order-service, then inventory-service, then the gateway if asked for, ready to take requests. */
    public InJvmSystem start() {
      InJvmSystem system = new InJvmSystem(this);
      try {
        system.startOrderService();
        system.startInventoryService();
        if (gatewaySettings != null) {
          system.startGateway(gatewaySettings);
        }
        return system;
      } catch (RuntimeException | Error e) {
        system.close();
        throw e;
      }
    }
  }

  private Map<String, String> serviceEnvironment(String service, int port, DatabaseSettings database) {
    Map<String, String> env = new HashMap<>(FAST_OUTBOX);
    env.putAll(TestCertificates.environment(service)); // mutual TLS, as in a deployment
    env.putAll(common);
    env.putAll(Map.of("HTTP_PORT", Integer.toString(port), "DB_URL", database.url(), "DB_USER", database.user(),
        "DB_PASSWORD", database.password()));
    return env;
  }

  private void startOrderService() {
    OrderService.Settings settings = OrderService.Settings.from(serviceEnvironment("order-service", orderPort, orderDatabase));
    order = started(ServiceHost.start(traced(settings.common()), context -> new OrderService(context, settings)));
  }

  private void startGateway(Map<String, String> settings) {
    Map<String, String> env = new HashMap<>(GATEWAY_DEFAULTS);
    env.putAll(TestCertificates.environment("gateway"));
    env.putAll(common);
    env.put("HTTP_PORT", Integer.toString(gatewayPort));
    env.putAll(settings);
    GatewaySettings gatewaySettings = GatewaySettings.from(env);
    gateway = started(Gateway.start(spans == null ? gatewaySettings : gatewaySettings.exportingSpansTo(spans)));
    Eventually.value("the gateway is ready", SETTLE, () -> {
      Http.Reply ready = Http.anonymous().get(gateway("/ready"));
      if (ready.status() != 200) {
        throw new IllegalStateException("/ready answered " + ready);
      }
      return Optional.of(ready);
    });
  }

  private ServiceSettings traced(ServiceSettings settings) {
    return spans == null ? settings : settings.exportingSpansTo(spans);
  }

  /** Starts inventory-service (again: on its port and database of before). */
  public void startInventoryService() {
    long started = System.nanoTime();
    inventory = started(ServiceHost.start(traced(InventoryService.settings(serviceEnvironment("inventory-service",
        inventoryPort, inventoryDatabase))), InventoryService::new));
    log.info("inventory-service started in {} ms", (System.nanoTime() - started) / 1_000_000);
  }

  /**
   * Stops inventory-service and waits until order-service's node no longer counts it as a member: a node started
   * again on the same Hazelcast port before that would first have to displace its own ghost.
   */
  public void stopInventoryService() {
    ServiceHost running = inventory;
    inventory = null;
    String node = running.node().nodeId();
    long started = System.nanoTime();
    result(running.stop());
    Eventually.until("the stopped inventory-service has left the cluster", SETTLE,
        () -> !order.node().members().contains(node));
    log.info("inventory-service stopped and gone from the cluster in {} ms", (System.nanoTime() - started) / 1_000_000);
  }

  /** A token from the gateway's own issuer, for one of {@link TestTokens#USERS}. */
  public String issuedToken(String user, String password) {
    Http.Reply reply = Http.anonymous().post(gateway("/api/auth/token"),
        new JsonObject().put("username", user).put("password", password));
    if (reply.status() != 200) {
      throw new IllegalStateException("no token for " + user + ": " + reply);
    }
    return reply.json().getString("access_token");
  }

  public URI gateway(String path) {
    if (gateway == null) {
      throw new IllegalStateException("this system was started without a gateway");
    }
    return uri(gatewayPort, path);
  }

  /** order-service's API port: HTTPS, which {@link Http} calls with the tests' operator certificate. */
  public URI orderService(String path) {
    return serviceUri(orderPort, path);
  }

  public URI inventoryService(String path) {
    return serviceUri(inventoryPort, path);
  }

  /** order-service as the host runs it: its cluster node (to send events itself) and its database. */
  public ServiceHost orderServiceHost() {
    return order;
  }

  /** inventory-service as the host runs it. */
  public ServiceHost inventoryServiceHost() {
    return inventory;
  }

  private static URI uri(int port, String path) {
    return URI.create("http://127.0.0.1:" + port + path);
  }

  private URI serviceUri(int port, String path) {
    boolean tls = !"off".equals(common.getOrDefault("CLUSTER_TLS", "on"));
    return URI.create((tls ? "https" : "http") + "://127.0.0.1:" + port + path);
  }

  /** A member's start, which on a loaded machine may take longer than a test's usual wait. */
  private static <T> T started(Future<T> start) {
    try {
      return start.await(2 * SETTLE.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      throw new AssertionError("not started within " + 2 * SETTLE.toSeconds() + " s", e);
    }
  }

  @Override
  public void close() {
    List<Future<?>> stops = new ArrayList<>();
    if (gateway != null) {
      stops.add(gateway.stop());
    }
    if (inventory != null) {
      stops.add(inventory.stop());
    }
    if (order != null) {
      stops.add(order.stop());
    }
    try {
      result(Future.join(stops).transform(ar -> Future.succeededFuture()));
    } finally {
      TestDatabases.drop(inventoryDatabase);
      TestDatabases.drop(orderDatabase);
    }
  }
}
