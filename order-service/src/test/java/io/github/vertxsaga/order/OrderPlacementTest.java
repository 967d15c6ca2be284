package io.github.vertxsaga.order;

import static io.github.vertxsaga.platform.testing.Eventually.result;
import static org.assertj.core.api.Assertions.assertThat;

import io.github.vertxsaga.events.LineItem;
import io.github.vertxsaga.events.ServiceNames;
import io.github.vertxsaga.platform.db.Database;
import io.github.vertxsaga.platform.db.DatabaseSettings;
import io.github.vertxsaga.platform.outbox.TransactionalOutbox;
import io.github.vertxsaga.platform.testing.TestDatabases;
import io.github.vertxsaga.platform.testing.TestDatabases.Kind;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** New orders that arrive together are placed together, each with its own event; a bad one fails alone. */
@ExtendWith(VertxExtension.class)
class OrderPlacementTest {
  private DatabaseSettings settings;
  private Database database;

  static List<Kind> databases() {
    return TestDatabases.available();
  }

  @BeforeAll
  static void postgresWhenRequired() {
    TestDatabases.assertPostgresWhenRequired();
  }

  @AfterEach
  void dropDatabase() {
    if (database != null) {
      database.close();
    }
    if (settings != null) {
      TestDatabases.drop(settings);
    }
  }

  @ParameterizedTest(name = "on {0}")
  @MethodSource("databases")
  @DisplayName("orders placed at the same moment share transactions, and each is stored with its own OrderPlaced row")
  void burstIsPlacedTogether(Kind kind, Vertx vertx) {
    OrderPlacement placement = open(vertx, kind);
    List<Order> orders = new ArrayList<>();
    List<Future<Order>> placed = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      Order order = order(UUID.randomUUID().toString());
      orders.add(order);
      placed.add(placement.place(order));
    }

    assertThat(placed.stream().map(f -> result(f).id()).toList())
        .containsExactlyElementsOf(orders.stream().map(Order::id).toList());
    assertThat(placement.largestGroup()).as("orders placed by one transaction at most").isGreaterThan(1);
    for (Order order : orders) {
      assertThat(count("SELECT COUNT(*) FROM orders WHERE id = ? AND status = 'PENDING'", order.id())).isOne();
      assertThat(count("SELECT COUNT(*) FROM outbox WHERE aggregate_id = ? AND event_type = 'OrderPlaced'",
          order.id())).isOne();
    }
  }

  @ParameterizedTest(name = "on {0}")
  @MethodSource("databases")
  @DisplayName("an order that cannot be stored fails alone; the orders of its group are placed")
  void badOrderFailsAlone(Kind kind, Vertx vertx) {
    OrderPlacement placement = open(vertx, kind);
    Order first = order("order-taken");
    result(placement.place(first));

    // Placed together: the first keeps the rest waiting, then they go in one transaction, which the duplicate fails.
    List<Future<Order>> burst = new ArrayList<>();
    List<Order> good = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      Order order = order(UUID.randomUUID().toString());
      good.add(order);
      burst.add(placement.place(order));
      if (i == 4) {
        burst.add(placement.place(order("order-taken")));
      }
    }

    Future<Order> duplicate = burst.remove(5);
    assertThat(io.github.vertxsaga.platform.testing.Eventually.failure(duplicate)).isNotNull();
    burst.forEach(f -> result(f));
    assertThat(placement.largestGroup()).as("orders placed by one transaction at most").isGreaterThan(1);
    for (Order order : good) {
      assertThat(count("SELECT COUNT(*) FROM outbox WHERE aggregate_id = ?", order.id())).as(order.id()).isOne();
    }
    assertThat(count("SELECT COUNT(*) FROM outbox WHERE aggregate_id = ?", "order-taken")).isOne();
  }

  private static Order order(String id) {
    long now = System.currentTimeMillis();
    return new Order(id, "alice", OrderStatus.PENDING, List.of(new LineItem("SKU-1", 1)), null, 1, now, now);
  }

  private OrderPlacement open(Vertx vertx, Kind kind) {
    settings = TestDatabases.fresh(kind, "placement");
    database = result(Database.open(vertx, settings, ServiceNames.ORDER_SERVICE, "classpath:db/migration/platform",
        "classpath:db/migration/" + ServiceNames.ORDER_SERVICE));
    return new OrderPlacement(new TransactionalOutbox(vertx, database, ServiceNames.ORDER_SERVICE),
        new OrderRepository());
  }

  private long count(String sql, String parameter) {
    return result(database.read(c -> {
      try (PreparedStatement ps = c.prepareStatement(sql)) {
        ps.setString(1, parameter);
        try (ResultSet rs = ps.executeQuery()) {
          rs.next();
          return rs.getLong(1);
        }
      }
    }));
  }
}
