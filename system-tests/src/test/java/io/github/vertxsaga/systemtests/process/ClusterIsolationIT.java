package io.github.vertxsaga.systemtests.process;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.vertxsaga.platform.testing.Eventually;
import io.github.vertxsaga.systemtests.Http;
import io.github.vertxsaga.systemtests.User;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.servicediscovery.Record;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

@DisplayName("Cluster names")
class ClusterIsolationIT {
  @RegisterExtension
  final ProcessCluster cluster = new ProcessCluster();

  @Test
  @DisplayName("a node with another CLUSTER_NAME on the same ports and seeds forms a cluster of its own and receives "
      + "none of the first cluster's events")
  void anotherClusterNameDoesNotJoin() {
    ObserverNode observer = cluster.observer(); // takes the first port of the block: every seed list reaches it
    Topology first = Topology.of(cluster).inventory("inventory-a").order("order").start();
    ServiceProcess inCluster = first.inventories().get(0);
    ServiceProcess order = first.orders().get(0);
    // Same port base and seeds, another name: it finds the members of the first cluster and must not join them.
    ServiceProcess outsider = Topology.of(cluster)
        .inventory("inventory-b", Map.of("CLUSTER_NAME", cluster.clusterName() + "-other")).start()
        .inventories().get(0);

    String insider = inCluster.instanceId();
    List<Record> records = observer.records("inventory-service");
    assertThat(records).as("inventory records seen in the first cluster").hasSize(1);
    assertThat(records.get(0).getMetadata().getString("instance")).isEqualTo(insider);
    assertThat(observer.members()).as("members of the first cluster").hasSize(3);

    // Both inventories could reserve these orders; only the one in the cluster may ever hear of them.
    for (ServiceProcess inventory : List.of(inCluster, outsider)) {
      Http.Reply restocked = Http.as(User.ADMIN).post(inventory.uri("/api/inventory/ISO-1/restock"),
          new JsonObject().put("quantity", 10));
      assertThat(restocked.status()).as(restocked.toString()).isEqualTo(200);
    }
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      Http.Reply placed = Http.as(User.ALICE).post(order.uri("/api/orders"), new JsonObject().put("items",
          new JsonArray().add(new JsonObject().put("sku", "ISO-1").put("quantity", 1))));
      assertThat(placed.status()).as(placed.toString()).isEqualTo(202);
      ids.add(placed.json().getString("id"));
    }
    Eventually.until("the 5 orders are confirmed", Duration.ofSeconds(60), ServiceProcess.PROBE_EVERY,
        () -> ids.stream().allMatch(id ->
            "CONFIRMED".equals(Http.as(User.ALICE).get(order.uri("/api/orders/" + id)).json().getString("status"))));
    JsonObject insiderStock = Http.as(User.ALICE).get(inCluster.uri("/api/inventory/ISO-1")).json();
    JsonObject outsiderStock = Http.as(User.ALICE).get(outsider.uri("/api/inventory/ISO-1")).json();
    System.out.printf("5 orders confirmed; stock in the cluster %s, of the outsider %s; events the outsider "
        + "handled: %d%n", insiderStock.encode(), outsiderStock.encode(), outsider.logCount("handled event="));

    assertThat(insiderStock.getLong("reserved")).isEqualTo(5L);
    assertThat(outsiderStock.getLong("reserved")).as("the outsider reserved nothing").isZero();
    assertThat(outsider.logCount("handled event=")).as("events the outsider handled").isZero();
    assertThat(inCluster.logCount("handled event=OrderPlaced")).isEqualTo(5L);
    assertThat(outsider.logContains("Members {size:1,")).as("the outsider's log shows a cluster of 1 member").isTrue();
    assertThat(outsider.logLines()).as("the outsider never saw more members").noneMatch(line ->
        line.matches(".*Members \\{size:[2-9].*"));
    assertThat(inCluster.logLines()).as("the first cluster never grew to 4").noneMatch(line ->
        line.matches(".*Members \\{size:[4-9].*"));
    assertThat(Http.anonymous().get(outsider.uri("/ready")).status()).isEqualTo(200);
  }
}
