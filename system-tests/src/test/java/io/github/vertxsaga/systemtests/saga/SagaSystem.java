package io.github.vertxsaga.systemtests.saga;

import static io.github.vertxsaga.platform.testing.Eventually.result;
import static org.assertj.core.api.Assertions.assertThat;

import io.github.vertxsaga.events.ServiceNames;
import io.github.vertxsaga.gateway.Gateway;
import io.github.vertxsaga.gateway.GatewaySettings;
import io.github.vertxsaga.inventory.InventoryService;
import io.github.vertxsaga.order.OrderService;
import io.github.vertxsaga.platform.ServiceHost;
import io.github.vertxsaga.platform.config.ClusterSettings;
import io.github.vertxsaga.platform.config.DatabaseSettings;
import io.github.vertxsaga.platform.config.OutboxSettings;
import io.github.vertxsaga.platform.config.ServiceSettings;
import io.github.vertxsaga.platform.discovery.ServiceRegistration;
import io.github.vertxsaga.platform.testing.Eventually;
import io.github.vertxsaga.platform.testing.TestDatabases;
import io.github.vertxsaga.platform.testing.TestTokens;
import io.github.vertxsaga.platform.testing.TestDatabases.Kind;
import io.github.vertxsaga.systemtests.Ports;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import io.vertx.servicediscovery.Record;
import io.vertx.servicediscovery.ServiceDiscovery;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.IntStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * inventory-service and order-service (and, on request, the gateway) started in this JVM as they start in production:
 * clustered on loopback under a cluster name of their own, each on a fresh database of one kind. Tests talk to them
 * over real HTTP and may stop and start inventory-service in between.
 */
final class SagaSystem implements AutoCloseable {
  /** Fast retries so an outage ends quickly; ack time-out long enough for a loaded 2-core machine. */
  static final OutboxSettings OUTBOX = new OutboxSettings(5_000, 100, 200, 5, 10, 200, 86_400_000L);
  static final Duration SETTLE = Duration.ofSeconds(30);

  private static final Logger log = LoggerFactory.getLogger(SagaSystem.class);

  final Kind kind;
  private final ClusterSettings cluster;
  private final DatabaseSettings inventoryDatabase;
  private final DatabaseSettings orderDatabase;
  private final Vertx client = Vertx.vertx();
  private final WebClient web = WebClient.create(client, new WebClientOptions().setDefaultHost("127.0.0.1"),
      new PoolOptions().setHttp1MaxSize(64));
  private final Map<String, Long> restocked = new ConcurrentHashMap<>();
  private final String adminToken = TestTokens.token(client, "admin", "admin");
  private volatile ServiceHost inventory;
  private volatile ServiceHost order;
  private volatile Gateway gateway;
  private volatile int inventoryPort;
  private volatile int orderPort;
  private volatile int gatewayPort;

  private SagaSystem(Kind kind, String label) {
    this.kind = kind;
    int base = Ports.inJvmClusterBlock();
    String name = "saga-" + label + "-" + kind.name().toLowerCase() + "-" + UUID.randomUUID().toString().substring(0, 8);
    List<String> members = IntStream.range(base, base + 4).mapToObj(port -> "127.0.0.1:" + port).toList();
    this.cluster = new ClusterSettings(name, "127.0.0.1", base, members);
    this.inventoryDatabase = TestDatabases.fresh(kind, label + "_inventory");
    this.orderDatabase = TestDatabases.fresh(kind, label + "_orders");
  }

  /** Starts order-service, then inventory-service, on fresh databases of {@code kind}. */
  static SagaSystem start(Kind kind, String label) {
    SagaSystem system = new SagaSystem(kind, label);
    try {
      system.startOrders();
      system.startInventory();
      return system;
    } catch (RuntimeException | Error e) {
      system.close();
      throw e;
    }
  }

  private ServiceSettings settings(String service, DatabaseSettings database) {
    return new ServiceSettings(service, 0, cluster, database, OUTBOX, 0, "", TestTokens.settings());
  }

  private void startOrders() {
    OrderService.Settings settings = new OrderService.Settings(settings(ServiceNames.ORDER_SERVICE, orderDatabase),
        30_000);
    order = result(ServiceHost.start(settings.common(), context -> new OrderService(context, settings)));
    orderPort = httpPort(order, ServiceNames.ORDER_SERVICE);
  }

  void startInventory() {
    long started = System.nanoTime();
    inventory = result(ServiceHost.start(settings(ServiceNames.INVENTORY_SERVICE, inventoryDatabase),
        InventoryService::new));
    inventoryPort = httpPort(inventory, ServiceNames.INVENTORY_SERVICE);
    log.info("inventory-service started in {} ms", (System.nanoTime() - started) / 1_000_000);
  }

  /**
   * Stops inventory-service and waits until order-service's node no longer counts it as a member: a node started
   * again on the same Hazelcast port before that would first have to displace its own ghost.
   */
  void stopInventory() {
    ServiceHost running = inventory;
    inventory = null;
    String node = running.node().nodeId();
    long started = System.nanoTime();
    result(running.stop());
    Eventually.until("the stopped inventory-service has left the cluster", SETTLE,
        () -> !order.node().members().contains(node));
    log.info("inventory-service stopped and gone from the cluster in {} ms", (System.nanoTime() - started) / 1_000_000);
  }

  /** Starts the gateway on a free port, and waits until it knows an instance of each service. */
  void startGateway() {
    gatewayPort = Ports.free();
    Map<String, String> environment = new HashMap<>(Map.of(
        "HTTP_PORT", Integer.toString(gatewayPort),
        "CLUSTER_NAME", cluster.name(),
        "CLUSTER_PORT", Integer.toString(cluster.port()),
        "CLUSTER_MEMBERS", String.join(",", cluster.members()),
        "JWT_SECRET", TestTokens.SECRET,
        "AUTH_USERS", TestTokens.USERS,
        "DISCOVERY_REFRESH_MS", "200",
        "GATEWAY_INSTANCES", "1"));
    environment.putAll(Map.of("RATE_LIMIT_PER_SECOND", "100000", "RATE_LIMIT_BURST", "100000")); // tests burst
    gateway = result(Gateway.start(GatewaySettings.from(environment)));
    Eventually.until("the gateway is ready", SETTLE, () -> call(HttpMethod.GET, gatewayPort, "/ready", null)
        .statusCode() == 200);
  }

  /** Where the host published its HTTP endpoint: the record of its own cluster node. */
  private static int httpPort(ServiceHost host, String service) {
    ServiceDiscovery discovery = ServiceDiscovery.create(host.node().vertx());
    try {
      String node = host.node().nodeId();
      Record record = result(discovery.getRecord(r -> service.equals(r.getName())
          && node.equals(r.getMetadata().getString(ServiceRegistration.NODE))));
      assertThat(record).as("discovery record of " + service).isNotNull();
      return record.getLocation().getInteger("port");
    } finally {
      discovery.close();
    }
  }

  ServiceHost orderHost() {
    return order;
  }

  int inventoryPort() {
    return inventoryPort;
  }

  int orderPort() {
    return orderPort;
  }

  int gatewayPort() {
    return gatewayPort;
  }

  // ---- HTTP ----

  HttpResponse<Buffer> call(HttpMethod method, int port, String path, Object body) {
    return result(callAsync(method, port, path, body));
  }

  Future<HttpResponse<Buffer>> callAsync(HttpMethod method, int port, String path, Object body) {
    // The tests act as the operator: an admin sees every order and may restock.
    var request = web.request(method, port, "127.0.0.1", path).putHeader("Authorization", "Bearer " + adminToken);
    if (body == null) {
      return request.send();
    }
    Buffer buffer = body instanceof JsonObject json ? json.toBuffer() : Buffer.buffer(body.toString());
    return request.putHeader("Content-Type", "application/json").sendBuffer(buffer);
  }

  static JsonObject json(HttpResponse<Buffer> response, int expectedStatus) {
    assertThat(response.statusCode()).as("status of a response with body " + response.bodyAsString())
        .isEqualTo(expectedStatus);
    return response.bodyAsJsonObject();
  }

  JsonObject restock(String sku, int quantity) {
    return restock(inventoryPort, sku, quantity);
  }

  JsonObject restock(int port, String sku, int quantity) {
    JsonObject item = json(call(HttpMethod.POST, port, "/api/inventory/" + sku + "/restock",
        new JsonObject().put("quantity", quantity)), 200);
    restocked.merge(sku, (long) quantity, Long::sum);
    return item;
  }

  /** The stock of a SKU, as inventory-service reports it. */
  Stock stock(String sku) {
    JsonObject item = json(call(HttpMethod.GET, inventoryPort, "/api/inventory/" + sku, null), 200);
    return new Stock(item.getLong("available"), item.getLong("reserved"));
  }

  record Stock(long available, long reserved) {
  }

  /** An order body from alternating SKUs and quantities: {@code items("A", 2, "B", 1)}. */
  static JsonObject items(Object... skusAndQuantities) {
    JsonArray items = new JsonArray();
    for (int i = 0; i < skusAndQuantities.length; i += 2) {
      items.add(new JsonObject().put("sku", skusAndQuantities[i]).put("quantity", skusAndQuantities[i + 1]));
    }
    return new JsonObject().put("items", items);
  }

  /** Places an order on order-service; returns its id. */
  String place(Object... skusAndQuantities) {
    return placed(call(HttpMethod.POST, orderPort, "/api/orders", items(skusAndQuantities)));
  }

  static String placed(HttpResponse<Buffer> response) {
    JsonObject order = json(response, 202);
    assertThat(order.getString("status")).isEqualTo("PENDING");
    assertThat(response.getHeader("Location")).isEqualTo("/api/orders/" + order.getString("id"));
    return order.getString("id");
  }

  JsonObject order(String id) {
    return json(call(HttpMethod.GET, orderPort, "/api/orders/" + id, null), 200);
  }

  /** Waits until the order has left PENDING, and returns it. */
  JsonObject settled(String id) {
    return Eventually.value("order " + id + " is no longer PENDING", SETTLE, () -> {
      JsonObject order = order(id);
      return "PENDING".equals(order.getString("status")) ? Optional.empty() : Optional.of(order);
    });
  }

  HttpResponse<Buffer> cancel(String id) {
    return call(HttpMethod.POST, orderPort, "/api/orders/" + id + "/cancel", null);
  }

  /** Every order (all pages), or those with one status. */
  List<JsonObject> orders(String status) {
    List<JsonObject> all = new ArrayList<>();
    for (int offset = 0; ; offset += 500) {
      String query = "?limit=500&offset=" + offset + (status == null ? "" : "&status=" + status);
      JsonArray page = json(call(HttpMethod.GET, orderPort, "/api/orders" + query, null), 200).getJsonArray("items");
      page.forEach(order -> all.add((JsonObject) order));
      if (page.size() < 500) {
        return all;
      }
    }
  }

  List<JsonObject> stockList() {
    List<JsonObject> all = new ArrayList<>();
    for (int offset = 0; ; offset += 500) {
      JsonArray page = json(call(HttpMethod.GET, inventoryPort, "/api/inventory?limit=500&offset=" + offset, null),
          200).getJsonArray("items");
      page.forEach(item -> all.add((JsonObject) item));
      if (page.size() < 500) {
        return all;
      }
    }
  }

  JsonObject outbox(int port) {
    return json(call(HttpMethod.GET, port, "/admin/outbox", null), 200);
  }

  /** Rows in order-service's outbox, delivered or not. */
  long orderOutboxRows() {
    return result(order.database().read(c -> {
      try (var ps = c.prepareStatement("SELECT COUNT(*) FROM outbox"); var rs = ps.executeQuery()) {
        rs.next();
        return rs.getLong(1);
      }
    }));
  }

  // ---- the invariant ----

  /** Waits until no order is PENDING and neither outbox has anything left to deliver: nothing in flight. */
  void awaitAtRest() {
    Eventually.until("no order is PENDING and both outboxes are drained", SETTLE,
        () -> orders("PENDING").isEmpty() && inFlight(outbox(orderPort)) == 0 && inFlight(outbox(inventoryPort)) == 0);
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
    assertThat(outbox(orderPort).getLong("deadLettered")).as("order-service dead letters").isZero();
    assertThat(outbox(inventoryPort).getLong("deadLettered")).as("inventory-service dead letters").isZero();
  }

  /** A SKU no other test uses. */
  static String sku(String name) {
    return name + "-" + UUID.randomUUID().toString().substring(0, 8);
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
      web.close();
      client.close();
      TestDatabases.drop(inventoryDatabase);
      TestDatabases.drop(orderDatabase);
    }
  }
}
