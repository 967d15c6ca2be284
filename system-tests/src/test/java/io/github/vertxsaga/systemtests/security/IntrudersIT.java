package io.github.vertxsaga.systemtests.security;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.vertxsaga.platform.testing.Eventually;
import io.github.vertxsaga.platform.testing.TestCertificates;
import io.github.vertxsaga.platform.tls.TlsSettings;
import io.github.vertxsaga.systemtests.Http;
import io.github.vertxsaga.systemtests.User;
import io.github.vertxsaga.systemtests.process.Invariants;
import io.github.vertxsaga.systemtests.process.ProcessCluster;
import io.github.vertxsaga.systemtests.process.Shop;
import io.github.vertxsaga.systemtests.process.Topology;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Two intruders next to a running system (the embedded topology, mutual TLS on as by default): one with no
 * certificate, one with a certificate of a CA of its own. They join Hazelcast with the cluster's name, listen on both
 * event addresses, forge inventory's answer for every order placed, and publish an endpoint for each service.
 */
@DisplayName("Intruders on the cluster's network")
class IntrudersIT {
  private static final String SKU = "INTRUDE-1";
  private static final int STOCK = 5;
  private static final int ORDERS = 20;

  @RegisterExtension
  static final ProcessCluster cluster = new ProcessCluster();

  @Test
  @DisplayName("receive no event, get no forged event applied and no request routed, and the system works after they leave")
  void intrudersGetNothing() throws Exception {
    Topology topology = Topology.embedded(cluster);
    Shop shop = new Shop(topology);
    shop.restock(SKU, STOCK);
    List<Intruder> intruders = List.of(
        Intruder.join(cluster, "intruder-without-certificate", TlsSettings.OFF),
        Intruder.join(cluster, "intruder-with-its-own-ca", TestCertificates.foreign("order-service")));
    try {
      // The gateway has taken in the forged records: each service has its real instance and two fakes.
      Eventually.until("the gateway lists the intruders' endpoints", Topology.DISCOVERY, () ->
          instances(topology).values().stream().allMatch(count -> count == 3));

      List<Future<Void>> forgeries = new ArrayList<>();
      for (int i = 0; i < ORDERS; i++) {
        Shop.Answer placed = shop.order(User.ALICE, Shop.line(SKU, 1));
        assertThat(placed.status()).as(placed.outcome().toString()).isEqualTo(202);
        intruders.forEach(intruder -> forgeries.add(intruder.forgeReservation(placed.orderId(), SKU)));
        assertThat(Http.as(User.ALICE).get(topology.api("/api/orders?limit=5")).status()).isEqualTo(200);
        assertThat(Http.as(User.ALICE).get(topology.api("/api/inventory/" + SKU)).status()).isEqualTo(200);
      }
      Future.join(forgeries).toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);

      System.out.println(Invariants.check(topology, Duration.ofSeconds(60)));
      Map<String, Long> byStatus = Invariants.allOrders(topology).values().stream()
          .collect(Collectors.groupingBy(order -> order.getString("status"), Collectors.counting()));
      intruders.forEach(intruder -> intruder.counts().forEach(System.out::println));
      System.out.println("orders by status with the intruders present: " + byStatus);
      assertThat(byStatus).as("as many confirmed as there was stock, as without intruders")
          .containsEntry("CONFIRMED", (long) STOCK).containsEntry("REJECTED", (long) (ORDERS - STOCK));
      for (Intruder intruder : intruders) {
        assertThat(intruder.eventsReceived.get()).as(intruder.name + ": events received").isZero();
        assertThat(intruder.forgedAccepted.get()).as(intruder.name + ": forged events a member answered").isZero();
        assertThat(intruder.requestsReceived.get()).as(intruder.name + ": requests the gateway sent it").isZero();
      }
    } finally {
      for (Intruder intruder : intruders) {
        intruder.close();
      }
    }

    Eventually.until("the gateway forgot the intruders' endpoints", Topology.DISCOVERY, () ->
        instances(topology).values().stream().allMatch(count -> count == 1));
    shop.restock(SKU, 1);
    Shop.Answer after = shop.order(User.BOB, Shop.line(SKU, 1));
    assertThat(after.status()).isEqualTo(202);
    Eventually.until("an order after they left is confirmed", Duration.ofSeconds(30), () -> "CONFIRMED".equals(
        Http.as(User.BOB).get(topology.api("/api/orders/" + after.orderId())).json().getString("status")));
    Invariants.check(topology, Duration.ofSeconds(60));
  }

  /** Instances per service as the gateway sees them. */
  private static Map<String, Long> instances(Topology topology) {
    return Http.as(User.ADMIN).get(topology.api("/api/admin/services")).json().getJsonArray("instances").stream()
        .map(JsonObject.class::cast)
        .collect(Collectors.groupingBy(instance -> instance.getString("service"), Collectors.counting()));
  }
}
