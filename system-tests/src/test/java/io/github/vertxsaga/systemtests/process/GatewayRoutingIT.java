package io.github.vertxsaga.systemtests.process;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.vertxsaga.systemtests.Http;
import io.github.vertxsaga.systemtests.User;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

@DisplayName("The gateway in front of service processes")
class GatewayRoutingIT {
  @RegisterExtension
  final ProcessCluster cluster = new ProcessCluster();

  @Test
  @DisplayName("routes /api/orders to order-service and /api/inventory to inventory-service")
  void routesEachPathToItsService() {
    Topology topology = Topology.of(cluster).inventory("inventory").order("order").gateway("gateway").start();
    ServiceProcess inventory = topology.inventories().get(0);
    ServiceProcess order = topology.orders().get(0);
    ServiceProcess gateway = topology.gateways().get(0);

    Http.Reply restocked = Http.as(User.ADMIN).post(gateway.uri("/api/inventory/ROUTE-1/restock"),
        new JsonObject().put("quantity", 5));
    assertThat(restocked.status()).as(restocked.toString()).isEqualTo(200);
    assertThat(restocked.servedBy()).isEqualTo("inventory-service/" + inventory.instanceId());

    Http.Reply placed = Http.as(User.ALICE).post(gateway.uri("/api/orders"), new JsonObject().put("items",
        new JsonArray().add(new JsonObject().put("sku", "ROUTE-1").put("quantity", 2))));
    assertThat(placed.status()).as(placed.toString()).isEqualTo(202);
    assertThat(placed.servedBy()).isEqualTo("order-service/" + order.instanceId());

    Http.Reply fetched = Http.as(User.ALICE).get(gateway.uri("/api/orders/" + placed.json().getString("id")));
    assertThat(fetched.status()).as(fetched.toString()).isEqualTo(200);
    assertThat(fetched.servedBy()).isEqualTo("order-service/" + order.instanceId());

    Http.Reply stock = Http.as(User.ALICE).get(gateway.uri("/api/inventory/ROUTE-1"));
    assertThat(stock.status()).as(stock.toString()).isEqualTo(200);
    assertThat(stock.servedBy()).isEqualTo("inventory-service/" + inventory.instanceId());
  }

  @Test
  @DisplayName("spreads GETs round-robin over two inventory-service instances")
  void spreadsRequestsRoundRobin() {
    Topology topology = Topology.of(cluster).inventory("inventory-1").inventory("inventory-2").gateway("gateway")
        .start();
    ServiceProcess first = topology.inventories().get(0);
    ServiceProcess second = topology.inventories().get(1);
    ServiceProcess gateway = topology.gateways().get(0);
    String firstServedBy = "inventory-service/" + first.instanceId();
    String secondServedBy = "inventory-service/" + second.instanceId();

    List<String> servedBy = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      Http.Reply reply = Http.as(User.ALICE).get(gateway.uri("/api/inventory"));
      assertThat(reply.status()).as(reply.toString()).isEqualTo(200);
      servedBy.add(reply.servedBy());
    }
    System.out.println("served by, in order: " + servedBy.stream().map(id -> id.equals(firstServedBy) ? "1" : "2").toList());

    assertThat(servedBy).containsOnly(firstServedBy, secondServedBy);
    assertThat(servedBy.stream().filter(firstServedBy::equals).count()).as("requests served by inventory-1")
        .isEqualTo(20);
    for (int i = 1; i < servedBy.size(); i++) {
      assertThat(servedBy.get(i)).as("request %d goes to the other instance than request %d", i, i - 1)
          .isNotEqualTo(servedBy.get(i - 1));
    }
  }
}
