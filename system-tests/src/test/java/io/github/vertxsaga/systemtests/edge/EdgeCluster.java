package io.github.vertxsaga.systemtests.edge;

import io.github.vertxsaga.gateway.Gateway;
import io.github.vertxsaga.gateway.GatewaySettings;
import io.github.vertxsaga.inventory.InventoryService;
import io.github.vertxsaga.order.OrderService;
import io.github.vertxsaga.platform.ServiceHost;
import io.github.vertxsaga.platform.config.DatabaseSettings;
import io.github.vertxsaga.platform.testing.TestDatabases;
import io.github.vertxsaga.platform.testing.TestTokens;
import io.github.vertxsaga.systemtests.Ports;
import io.vertx.core.Future;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;

/**
 * inventory-service, order-service and the gateway in this JVM, clustered on loopback under a private cluster name,
 * configured through the same environment variables as in production (a map instead of the process environment).
 */
final class EdgeCluster implements AutoCloseable {
  static final String SECRET = TestTokens.SECRET;
  static final String USERS = TestTokens.USERS;

  final int gatewayPort;
  final int orderPort;
  final int inventoryPort;
  private final ServiceHost inventory;
  private final ServiceHost orders;
  private final Gateway gateway;
  private final HttpClient http = HttpClient.newBuilder()
      .version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();

  private EdgeCluster(int gatewayPort, int orderPort, int inventoryPort, ServiceHost inventory, ServiceHost orders,
                      Gateway gateway) {
    this.gatewayPort = gatewayPort;
    this.orderPort = orderPort;
    this.inventoryPort = inventoryPort;
    this.inventory = inventory;
    this.orders = orders;
    this.gateway = gateway;
  }

  /** Starts the three, with {@code gatewayEnv} added to the gateway's environment (rate limits and the like). */
  static EdgeCluster start(TestDatabases.Kind kind, int clusterPort, Map<String, String> gatewayEnv) {
    return start(kind, clusterPort, Map.of(), gatewayEnv);
  }

  /** As above, with {@code everyEnv} added to every JVM's environment (an empty value unsets a variable). */
  static EdgeCluster start(TestDatabases.Kind kind, int clusterPort, Map<String, String> everyEnv,
                           Map<String, String> gatewayEnv) {
    String cluster = "edge-" + UUID.randomUUID().toString().substring(0, 8);
    Map<String, String> common = new HashMap<>(Map.of(
        "CLUSTER_NAME", cluster,
        "CLUSTER_PORT", Integer.toString(clusterPort),
        "CLUSTER_MEMBERS", "127.0.0.1:" + clusterPort + ",127.0.0.1:" + (clusterPort + 1) + ",127.0.0.1:" + (clusterPort + 2),
        "JWT_SECRET", SECRET));
    common.putAll(everyEnv);
    int inventoryPort = Ports.free();
    int orderPort = Ports.free();
    int gatewayPort = Ports.free();
    ServiceHost inventory = ServiceHost.start(InventoryService.settings(service(common, kind, "inventory", inventoryPort)),
        InventoryService::new).await();
    OrderService.Settings orderSettings = OrderService.Settings.from(service(common, kind, "orders", orderPort));
    ServiceHost orders = ServiceHost.start(orderSettings.common(), ctx -> new OrderService(ctx, orderSettings)).await();
    Map<String, String> gw = new HashMap<>(common);
    gw.putAll(Map.of("HTTP_PORT", Integer.toString(gatewayPort), "AUTH_USERS", USERS, "GATEWAY_INSTANCES", "1"));
    gw.putAll(gatewayEnv);
    Gateway gateway = Gateway.start(GatewaySettings.from(gw)).await();
    EdgeCluster edge = new EdgeCluster(gatewayPort, orderPort, inventoryPort, inventory, orders, gateway);
    edge.awaitReady();
    return edge;
  }

  private static Map<String, String> service(Map<String, String> common, TestDatabases.Kind kind, String label, int port) {
    DatabaseSettings db = TestDatabases.fresh(kind, label);
    Map<String, String> env = new HashMap<>(common);
    env.put("HTTP_PORT", Integer.toString(port));
    env.put("DB_URL", db.url());
    env.put("DB_USER", db.user());
    env.put("DB_PASSWORD", db.password());
    return env;
  }

  private void awaitReady() {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (System.nanoTime() < deadline) {
      if (get("/ready", null).statusCode() == 200) {
        return;
      }
      pause(100);
    }
    throw new IllegalStateException("gateway not ready within 30 s: " + get("/ready", null).body());
  }

  String token(String user, String password) {
    HttpResponse<String> response = post("/api/auth/token", null,
        "{\"username\":\"" + user + "\",\"password\":\"" + password + "\"}", Map.of());
    if (response.statusCode() != 200) {
      throw new IllegalStateException("no token for " + user + ": " + response.statusCode() + " " + response.body());
    }
    return new io.vertx.core.json.JsonObject(response.body()).getString("access_token");
  }

  HttpResponse<String> get(String path, String token) {
    return send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gatewayPort + path)).GET(), token, Map.of());
  }

  HttpResponse<String> post(String path, String token, String json, Map<String, String> headers) {
    return postTo(gatewayPort, path, token, json, headers);
  }

  HttpResponse<String> postTo(int port, String path, String token, String json, Map<String, String> headers) {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
        .POST(json == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(json));
    if (json != null && !headers.containsKey("Content-Type")) {
      request.header("Content-Type", "application/json");
    }
    return send(request, token, headers);
  }

  HttpResponse<String> getFrom(int port, String path, String token) {
    return send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).GET(), token, Map.of());
  }

  private HttpResponse<String> send(HttpRequest.Builder request, String token, Map<String, String> headers) {
    request.timeout(Duration.ofSeconds(15));
    if (token != null) {
      request.header("Authorization", "Bearer " + token);
    }
    headers.forEach(request::header);
    try {
      return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new IllegalStateException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  static void pause(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void close() {
    Future.join(gateway.stop(), orders.stop(), inventory.stop()).await();
  }
}
