package io.github.vertxsaga.systemtests.saga;

import static io.github.vertxsaga.systemtests.saga.Operator.json;
import static io.github.vertxsaga.systemtests.saga.Operator.sku;
import static org.assertj.core.api.Assertions.assertThat;

import io.github.vertxsaga.platform.testing.TestDatabases.Kind;
import io.github.vertxsaga.platform.testing.TestDatabases;
import io.github.vertxsaga.systemtests.Http;
import io.github.vertxsaga.systemtests.InJvmSystem;
import io.github.vertxsaga.systemtests.saga.Operator.Stock;
import io.vertx.core.json.JsonObject;
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
  private static final Map<Kind, Operator> operators = new EnumMap<>(Kind.class);

  static List<Kind> databases() {
    return TestDatabases.available();
  }

  @BeforeAll
  static void postgresWhenRequired() {
    TestDatabases.assertPostgresWhenRequired();
  }

  @AfterAll
  static void stopSystems() {
    operators.values().forEach(operator -> operator.system().close());
    operators.clear();
  }

  private static Operator operator(Kind kind) {
    return operators.computeIfAbsent(kind, k -> new Operator(InJvmSystem.on(k).named("outage").start()));
  }

  @ParameterizedTest(name = "on {0}")
  @MethodSource("databases")
  @DisplayName("orders placed while inventory-service is down are settled once it is back")
  void ordersWaitForInventory(Kind kind) {
    Operator operator = operator(kind);
    String axle = sku("axle");
    operator.restock(axle, 10);
    operator.system().stopInventoryService();

    List<String> fitting = List.of(operator.place(axle, 3), operator.place(axle, 3), operator.place(axle, 3));
    String tooMany = operator.place(axle, 11); // more than there ever was: rejected whatever inventory sees first
    String unknown = operator.place(sku("ghost"), 1);
    JsonObject backlog = operator.orderOutbox();
    assertThat(backlog.getLong("undelivered")).as("OrderPlaced events waiting").isEqualTo(5);
    assertThat(operator.orders("PENDING")).hasSize(5);

    operator.system().startInventoryService();

    fitting.forEach(id -> assertThat(operator.settled(id).getString("status")).isEqualTo("CONFIRMED"));
    assertThat(operator.settled(tooMany).getString("status")).isEqualTo("REJECTED");
    assertThat(operator.settled(unknown).getString("reason")).startsWith("unknown SKU ghost-");
    assertThat(operator.stock(axle)).isEqualTo(new Stock(1, 9));
    assertThat(operator.orderOutbox().getLong("deadLettered")).as("parked while waiting").isZero();
    operator.assertInvariantAtRest();
  }

  @ParameterizedTest(name = "on {0}")
  @MethodSource("databases")
  @DisplayName("a PENDING order cancelled while inventory-service is down ends CANCELLED and holds no stock")
  void pendingOrderCancelledDuringOutage(Kind kind) {
    Operator operator = operator(kind);
    String crank = sku("crank");
    operator.restock(crank, 5);
    operator.system().stopInventoryService();

    String cancelled = operator.place(crank, 2);
    String kept = operator.place(crank, 1);
    JsonObject cancel = json(operator.cancel(cancelled), 202);
    assertThat(cancel.getString("status")).isEqualTo("CANCELLING");
    assertThat(operator.orders("CANCELLING")).as("CANCELLING while inventory is away")
        .extracting(order -> order.getString("id")).contains(cancelled);
    Http.Reply again = operator.cancel(cancelled);
    assertThat(again.status()).as("cancelling a CANCELLING order").isEqualTo(409);
    assertThat(again.json().getString("detail")).contains("CANCELLING");

    operator.system().startInventoryService();

    assertThat(operator.settled(kept).getString("status")).isEqualTo("CONFIRMED");
    operator.assertInvariantAtRest();
    assertThat(operator.order(cancelled).getString("status")).isEqualTo("CANCELLED");
    assertThat(operator.stock(crank)).isEqualTo(new Stock(4, 1));
  }
}
