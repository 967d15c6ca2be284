package io.github.vertxsaga.systemtests.edge;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.vertxsaga.platform.testing.TestDatabases;
import io.github.vertxsaga.systemtests.Http;
import io.github.vertxsaga.systemtests.InJvmSystem;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.openapi.contract.OpenAPIContract;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

@DisplayName("The gateway publishes its contract and refuses what breaks it before any service sees it")
class GatewayContractTest {
  private static InJvmSystem edge;
  private static String alice;
  private static String admin;

  @BeforeAll
  static void start() {
    edge = InJvmSystem.on(TestDatabases.Kind.H2).named("contract").withGateway().start();
    alice = edge.issuedToken("alice", "alice-pw");
    admin = edge.issuedToken("admin", "admin-pw");
  }

  @AfterAll
  static void stop() {
    edge.close();
  }

  static Stream<Arguments> refusedOrders() {
    String line = "{\"sku\":\"A1\",\"quantity\":1}";
    return Stream.of(
        Arguments.of("malformed JSON", "{\"items\":[", 400, "decoded"),
        Arguments.of("not an object", "[1,2]", 400, "object"),
        Arguments.of("no items", "{\"items\":[]}", 400, "items"),
        Arguments.of("more than 100 items", "{\"items\":[" + String.join(",", java.util.Collections.nCopies(101, line)) + "]}",
            400, "items"),
        Arguments.of("quantity 0", "{\"items\":[{\"sku\":\"A1\",\"quantity\":0}]}", 400, "items[0].quantity"),
        Arguments.of("quantity above 10000", "{\"items\":[{\"sku\":\"A1\",\"quantity\":10001}]}", 400, "items[0].quantity"),
        Arguments.of("quantity a fraction", "{\"items\":[{\"sku\":\"A1\",\"quantity\":1.5}]}", 400, "items[0].quantity"),
        Arguments.of("quantity a string", "{\"items\":[{\"sku\":\"A1\",\"quantity\":\"1\"}]}", 400, "items[0].quantity"),
        Arguments.of("quantity huge", "{\"items\":[{\"sku\":\"A1\",\"quantity\":1e300}]}", 400, "items[0].quantity"),
        Arguments.of("SKU with a space", "{\"items\":[{\"sku\":\"A 1\",\"quantity\":1}]}", 400, "items[0].sku"),
        Arguments.of("SKU too long", "{\"items\":[{\"sku\":\"" + "A".repeat(65) + "\",\"quantity\":1}]}", 400, "items[0].sku"),
        Arguments.of("unknown field", "{\"items\":[" + line + "],\"coupon\":\"x\"}", 400, "'coupon': unknown field"),
        Arguments.of("unknown line field", "{\"items\":[{\"sku\":\"A1\",\"quantity\":1,\"price\":3}]}", 400, "items[0].price"),
        Arguments.of("body over 64 KiB", "{\"items\":[{\"sku\":\"" + "A".repeat(70_000) + "\",\"quantity\":1}]}", 413, "too large"));
  }

  @ParameterizedTest(name = "{0} is refused with {2}")
  @MethodSource("refusedOrders")
  @DisplayName("an order that breaks the contract is refused with a problem naming the field, and reaches no service")
  void refusedOrder(String what, String body, int status, String detailFragment) {
    long ordersBefore = orderCount();
    Http.Reply response = Http.bearer(alice).post(edge.gateway("/api/orders"), body);
    assertThat(response.status()).as(what).isEqualTo(status);
    assertThat(response.headers().firstValue("Content-Type")).hasValue("application/problem+json");
    assertThat(new JsonObject(response.body()).getString("detail")).containsIgnoringCase(detailFragment);
    assertThat(response.headers().firstValue("X-Served-By")).as("answered by the gateway, not a service").isEmpty();
    assertThat(orderCount()).isEqualTo(ordersBefore);
  }

  @Test
  @DisplayName("a body that is not JSON is 415")
  void notJson() {
    Http.Reply response = Http.bearer(alice).post(edge.gateway("/api/orders"), "text/plain", "items=1");
    assertThat(response.status()).isEqualTo(415);
    assertThat(response.headers().firstValue("X-Served-By")).isEmpty();
  }

  @Test
  @DisplayName("a malformed query parameter is a 400 naming it")
  void badQuery() {
    Http.Reply response = Http.bearer(alice).get(edge.gateway("/api/orders?limit=many"));
    assertThat(response.status()).isEqualTo(400);
    assertThat(new JsonObject(response.body()).getString("detail")).contains("limit");
    assertThat(Http.bearer(alice).get(edge.gateway("/api/orders?status=LOST")).status()).isEqualTo(400);
  }

  @Test
  @DisplayName("a restock that breaks the contract is refused")
  void refusedRestock() {
    assertThat(Http.bearer(admin).post(edge.gateway("/api/inventory/A1/restock"), "{\"quantity\":0}").status())
        .isEqualTo(400);
    assertThat(Http.bearer(admin).post(edge.gateway("/api/inventory/A1/restock"), "{\"quantity\":1,\"x\":1}").status())
        .isEqualTo(400);
    assertThat(Http.bearer(admin).post(edge.gateway("/api/inventory/bad%20sku/restock"), "{\"quantity\":1}").status())
        .isEqualTo(400);
  }

  @Test
  @DisplayName("the OpenAPI document is valid 3.1 and lists every route the gateway serves")
  void openApiDocument() {
    Http.Reply response = Http.anonymous().get(edge.gateway("/openapi.json"));
    assertThat(response.status()).isEqualTo(200);
    JsonObject document = new JsonObject(response.body());
    assertThat(document.getString("openapi")).startsWith("3.1");
    Vertx vertx = Vertx.vertx();
    try {
      OpenAPIContract contract = OpenAPIContract.from(vertx, document).await(); // validates against the 3.1 schema
      List<String[]> served = List.of(
          new String[] {"GET", "/health"}, new String[] {"GET", "/ready"}, new String[] {"GET", "/metrics"},
          new String[] {"GET", "/openapi.json"}, new String[] {"POST", "/api/auth/token"},
          new String[] {"GET", "/api/inventory"}, new String[] {"GET", "/api/inventory/A1"},
          new String[] {"POST", "/api/inventory/A1/restock"}, new String[] {"GET", "/api/orders"},
          new String[] {"POST", "/api/orders"}, new String[] {"GET", "/api/orders/abc"},
          new String[] {"POST", "/api/orders/abc/cancel"}, new String[] {"GET", "/api/admin/services"},
          new String[] {"GET", "/api/admin/outbox"}, new String[] {"GET", "/api/admin/dashboard/stream"},
          new String[] {"GET", "/api/admin/dead-letters"}, new String[] {"POST", "/api/admin/dead-letters/order-service:1/requeue"});
      for (String[] route : served) {
        assertThat(contract.findOperation(route[1], io.vertx.core.http.HttpMethod.valueOf(route[0])))
            .as(route[0] + " " + route[1]).isNotNull();
      }
      assertThat(contract.operations()).hasSize(served.size());
    } finally {
      vertx.close().await();
    }
  }

  @Test
  @DisplayName("a path outside the contract is a 404 problem, and path tricks do not escape their route")
  void outsideTheContract() {
    Http.Reply response = Http.bearer(alice).get(edge.gateway("/api/secrets"));
    assertThat(response.status()).isEqualTo(404);
    assertThat(response.headers().firstValue("Content-Type")).hasValue("application/problem+json");
    assertThat(Http.bearer(alice).get(edge.gateway("/api/orders/../admin/services")).status()).isIn(403, 404);
  }

  @Test
  @DisplayName("an operator sees every instance with its breaker and traffic")
  void operatorView() {
    JsonObject services = new JsonObject(Http.bearer(admin).get(edge.gateway("/api/admin/services")).body());
    assertThat(services.getJsonArray("instances")).hasSize(2);
    JsonObject instance = services.getJsonArray("instances").getJsonObject(0);
    assertThat(instance.fieldNames()).contains("service", "host", "port", "node", "status", "circuitBreaker",
        "requestsRouted");
    JsonObject deadLetters = new JsonObject(Http.bearer(admin).get(edge.gateway("/api/admin/dead-letters")).body());
    assertThat(deadLetters.getJsonArray("items")).isNotNull();
    assertThat(Http.bearer(admin).post(edge.gateway("/api/admin/dead-letters/order-service:999999/requeue")).status())
        .isEqualTo(404);
  }

  @Test
  @DisplayName("the gateway and the services expose Prometheus metrics")
  void metrics() {
    Http.bearer(alice).get(edge.gateway("/api/orders"));
    String gateway = Http.anonymous().get(edge.gateway("/metrics")).body();
    assertThat(gateway).contains("vertx_http_server_requests_total", "vertx_http_client_requests_total",
        "gateway_circuit_breaker_state", "gateway_discovered_instances");
    String orders = Http.anonymous().get(edge.orderService("/metrics")).body();
    assertThat(orders).contains("outbox_backlog", "outbox_oldest_undelivered_age_seconds", "outbox_events_delivered_total",
        "outbox_events_dead_lettered_total", "orders_pending_overdue", "vertx_eventbus");
  }

  private static long orderCount() {
    return new JsonObject(Http.bearer(admin).get(edge.gateway("/api/orders?limit=500")).body()).getJsonArray("items")
        .size();
  }
}
