package io.github.vertxsaga.systemtests.saga;

import static io.github.vertxsaga.systemtests.saga.SagaSystem.json;
import static io.github.vertxsaga.systemtests.saga.SagaSystem.sku;
import static org.assertj.core.api.Assertions.assertThat;

import io.github.vertxsaga.platform.testing.TestDatabases;
import io.github.vertxsaga.platform.testing.TestDatabases.Kind;
import io.github.vertxsaga.systemtests.saga.SagaSystem.Stock;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * inventory-service stopped and started again under a running order-service: orders wait in order-service's outbox
 * and complete once inventory-service is back, including one cancelled while it was away.
 */
class InventoryOutageTest {
  private static final Map<Kind, SagaSystem> systems = new EnumMap<>(Kind.class);

  static List<Kind> databases() {
    return TestDatabases.available();
  }

  @BeforeAll
  static void postgresWhenRequired() {
    TestDatabases.assertPostgresWhenRequired();
  }

  @AfterAll
  static void stopSystems() {
    systems.values().forEach(SagaSystem::close);
    systems.clear();
  }

  private static SagaSystem system(Kind kind) {
    return systems.computeIfAbsent(kind, k -> SagaSystem.start(k, "outage"));
  }

  @ParameterizedTest(name = "on {0}")
  @MethodSource("databases")
  @DisplayName("orders placed while inventory-service is down are settled once it is back")
  void ordersWaitForInventory(Kind kind) {
    SagaSystem system = system(kind);
    String axle = sku("axle");
    system.restock(axle, 10);
    system.stopInventory();

    List<String> fitting = List.of(system.place(axle, 3), system.place(axle, 3), system.place(axle, 3));
    String tooMany = system.place(axle, 11); // more than there ever was: rejected whichever order inventory sees first
    String unknown = system.place(sku("ghost"), 1);
    JsonObject backlog = system.outbox(system.orderPort());
    assertThat(backlog.getLong("undelivered")).as("OrderPlaced events waiting").isEqualTo(5);
    assertThat(system.orders("PENDING")).hasSize(5);

    system.startInventory();

    fitting.forEach(id -> assertThat(system.settled(id).getString("status")).isEqualTo("CONFIRMED"));
    assertThat(system.settled(tooMany).getString("status")).isEqualTo("REJECTED");
    assertThat(system.settled(unknown).getString("reason")).startsWith("unknown SKU ghost-");
    assertThat(system.stock(axle)).isEqualTo(new Stock(1, 9));
    assertThat(system.outbox(system.orderPort()).getLong("deadLettered")).as("parked while waiting").isZero();
    system.assertInvariantAtRest();
  }

  @ParameterizedTest(name = "on {0}")
  @MethodSource("databases")
  @DisplayName("a PENDING order cancelled while inventory-service is down ends CANCELLED and holds no stock")
  void pendingOrderCancelledDuringOutage(Kind kind) {
    SagaSystem system = system(kind);
    String crank = sku("crank");
    system.restock(crank, 5);
    system.stopInventory();

    String cancelled = system.place(crank, 2);
    String kept = system.place(crank, 1);
    JsonObject cancel = json(system.cancel(cancelled), 202);
    assertThat(cancel.getString("status")).isEqualTo("CANCELLING");
    assertThat(system.orders("CANCELLING")).as("CANCELLING while inventory is away")
        .extracting(order -> order.getString("id")).contains(cancelled);
    HttpResponse<Buffer> again = system.cancel(cancelled);
    assertThat(again.statusCode()).as("cancelling a CANCELLING order").isEqualTo(409);
    assertThat(again.bodyAsJsonObject().getString("detail")).contains("CANCELLING");

    system.startInventory();

    assertThat(system.settled(kept).getString("status")).isEqualTo("CONFIRMED");
    system.assertInvariantAtRest();
    assertThat(system.order(cancelled).getString("status")).isEqualTo("CANCELLED");
    assertThat(system.stock(crank)).isEqualTo(new Stock(4, 1));
  }
}
