package io.github.vertxsaga.systemtests.process;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

@DisplayName("order-service on an H2 file")
class H2DurabilityIT {
  private static final Duration START = Duration.ofSeconds(90);
  private static final int ORDERS = 30;
  private static final Set<String> TERMINAL = Set.of("CONFIRMED", "REJECTED", "CANCELLED");

  @RegisterExtension
  final ProcessCluster cluster = new ProcessCluster();

  @Test
  @DisplayName("keeps every accepted order through a kill -9, and each one still reaches a final state")
  void acceptedOrdersSurviveKillNine() {
    ServiceProcess inventory = cluster.start(Service.INVENTORY, "inventory");
    ServiceProcess order = cluster.start(Service.ORDER, "order");
    inventory.awaitReady(START);
    order.awaitReady(START);
    Http.Reply restocked = Http.post(inventory.uri("/api/inventory/DURABLE-1/restock"),
        new JsonObject().put("quantity", 1_000), User.ADMIN);
    assertThat(restocked.status()).as(restocked.toString()).isEqualTo(200);

    List<String> accepted = new ArrayList<>();
    for (int i = 0; i < ORDERS; i++) {
      Http.Reply placed = Http.post(order.uri("/api/orders"), new JsonObject().put("items",
          new JsonArray().add(new JsonObject().put("sku", "DURABLE-1").put("quantity", 2))), User.ALICE);
      assertThat(placed.status()).as(placed.toString()).isEqualTo(202);
      accepted.add(placed.json().getString("id"));
    }
    order.kill(); // right after the last 202: no shutdown hook, no chance to flush anything more
    assertThat(order.awaitExit(Duration.ofSeconds(10))).isTrue();

    ServiceProcess restarted = cluster.restart(order);
    restarted.awaitReady(START);

    int pending = 0;
    for (String id : accepted) {
      Http.Reply fetched = Http.get(restarted.uri("/api/orders/" + id), User.ALICE);
      assertThat(fetched.status()).as("order %s after the restart: %s", id, fetched).isEqualTo(200);
      pending += "PENDING".equals(fetched.json().getString("status")) ? 1 : 0;
    }
    System.out.printf("after the restart %d of %d accepted orders were still PENDING%n", pending, ORDERS);
    Await.until("every accepted order reaches a final state", Duration.ofSeconds(60), () -> accepted.stream()
        .allMatch(id -> TERMINAL.contains(Http.get(restarted.uri("/api/orders/" + id), User.ALICE).json().getString("status"))));
    assertThat(accepted).as("with enough stock every order is confirmed").allSatisfy(id ->
        assertThat(Http.get(restarted.uri("/api/orders/" + id), User.ALICE).json().getString("status")).isEqualTo("CONFIRMED"));
    JsonObject stock = Http.get(inventory.uri("/api/inventory/DURABLE-1"), User.ALICE).json();
    assertThat(stock.getLong("reserved")).as("each order reserved exactly once: " + stock).isEqualTo(2L * ORDERS);
  }
}
