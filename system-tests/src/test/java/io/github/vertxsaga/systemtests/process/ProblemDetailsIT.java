package io.github.vertxsaga.systemtests.process;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.vertxsaga.platform.testing.Eventually;
import io.github.vertxsaga.systemtests.Http;
import io.github.vertxsaga.systemtests.Ports;
import io.github.vertxsaga.systemtests.User;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

@DisplayName("The gateway's problem answers")
class ProblemDetailsIT {
  @RegisterExtension
  final ProcessCluster cluster = new ProcessCluster();

  @Test
  @DisplayName("a gateway without services answers 503 problem+json to API calls and to /ready")
  void noServiceMeans503() {
    ServiceProcess gateway = Topology.of(cluster).gateway("gateway").start().gateways().get(0);

    assertProblem(Http.as(User.ALICE).get(gateway.uri("/api/orders")), 503);
    assertProblem(Http.as(User.ALICE).post(gateway.uri("/api/orders"), new JsonObject().put("items",
        new io.vertx.core.json.JsonArray().add(new JsonObject().put("sku", "P-1").put("quantity", 1)))), 503);
    assertProblem(Http.as(User.ALICE).get(gateway.uri("/api/inventory/P-1")), 503);
    Http.Reply ready = Http.anonymous().get(gateway.uri("/ready"));
    assertProblem(ready, 503);
    assertThat(ready.json().getString("detail")).contains("order-service", "inventory-service");
  }

  @Test
  @DisplayName("a GET to an inventory-service that does not answer in time gets 504 problem+json")
  void frozenInstanceMeans504() {
    Topology topology = Topology.of(cluster).inventory("inventory")
        .gateway("gateway", Map.of("GATEWAY_REQUEST_TIMEOUT_MS", "500")).start();
    ServiceProcess inventory = topology.inventories().get(0);
    ServiceProcess gateway = topology.gateways().get(0);
    // With a 500 ms budget, the first calls into cold JVMs on a loaded machine may time out: warm up until one passes.
    Eventually.until("a GET through the gateway answers 200 within the 500 ms budget", Topology.START,
        ServiceProcess.PROBE_EVERY,
        () -> Http.as(User.ALICE).get(gateway.uri("/api/inventory")).status() == 200);

    inventory.freeze();
    try {
      Http.Reply reply = Http.as(User.ALICE).get(gateway.uri("/api/inventory"));
      assertProblem(reply, 504);
    } finally {
      inventory.thaw();
    }
  }

  @Test
  @DisplayName("a POST to an inventory-service instance that refuses connections gets 502 problem+json")
  void unreachableInstanceMeans502() {
    ServiceProcess gateway = Topology.of(cluster).gateway("gateway").start().gateways().get(0);
    ObserverNode observer = cluster.observer();
    int closedPort = Ports.free(); // nothing listens there
    observer.publishHttpEndpoint("inventory-service", ProcessCluster.HOST, closedPort);
    gateway.awaitLog("instance found service=inventory-service endpoint=127.0.0.1:" + closedPort, Duration.ofSeconds(30));

    Http.Reply reply = Http.as(User.ADMIN).post(gateway.uri("/api/inventory/P-1/restock"),
        new JsonObject().put("quantity", 1));
    assertProblem(reply, 502);
    assertThat(reply.json().getString("detail")).contains("inventory-service");
  }

  private static void assertProblem(Http.Reply reply, int status) {
    assertThat(reply.status()).as(reply.toString()).isEqualTo(status);
    assertThat(reply.contentType()).as(reply.toString()).startsWith("application/problem+json");
    JsonObject body = reply.json();
    assertThat(body.getValue("type")).as(reply.toString()).isInstanceOf(String.class);
    assertThat(body.getString("title")).as(reply.toString()).isNotBlank();
    assertThat(body.getInteger("status")).as(reply.toString()).isEqualTo(status);
    assertThat(body.getString("detail")).as(reply.toString()).isNotBlank();
  }
}
