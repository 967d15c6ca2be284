package io.github.vertxsaga.systemtests.saga;

import static io.github.vertxsaga.systemtests.saga.Operator.items;
import static io.github.vertxsaga.systemtests.saga.Operator.placed;
import static io.github.vertxsaga.systemtests.saga.Operator.sku;
import static org.assertj.core.api.Assertions.assertThat;

import io.github.vertxsaga.platform.http.Problems;
import io.github.vertxsaga.platform.testing.Eventually;
import io.github.vertxsaga.platform.testing.TestDatabases;
import io.github.vertxsaga.platform.testing.TestDatabases.Kind;
import io.github.vertxsaga.systemtests.Http;
import io.github.vertxsaga.systemtests.InJvmSystem;
import io.github.vertxsaga.systemtests.User;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Bounded acceptance: past ORDER_MAX_PENDING PENDING orders, order-service refuses new ones with 503, Retry-After
 * and a problem body, through the gateway as directly, and takes them again once the saga has settled the backlog.
 * The backlog is made by stopping inventory-service, so that nothing leaves PENDING until it is back.
 */
class BoundedAcceptanceTest {
  private static final int MAX_PENDING = 3;
  /** More refusals in a row than the gateway's breaker allows failures (BREAKER_MAX_FAILURES, 5 by default). */
  private static final int REFUSALS = 8;

  static List<Kind> databases() {
    return TestDatabases.available();
  }

  @BeforeAll
  static void postgresWhenRequired() {
    TestDatabases.assertPostgresWhenRequired();
  }

  @ParameterizedTest(name = "on {0}")
  @MethodSource("databases")
  @DisplayName("past the PENDING bound a new order gets 503 with Retry-After, and is accepted again once the backlog drains")
  void refusesPastTheBoundAndAcceptsAfterDraining(Kind kind) {
    try (InJvmSystem system = InJvmSystem.on(kind).named("bounded")
        .everyMember(Map.of("ORDER_MAX_PENDING", Integer.toString(MAX_PENDING))).withGateway().start()) {
      Operator operator = new Operator(system);
      String wheel = sku("wheel");
      operator.restock(wheel, 100);
      system.stopInventoryService();
      Http.Caller alice = Http.as(User.ALICE);

      String acceptedKey = "accepted-" + UUID.randomUUID();
      List<String> accepted = new ArrayList<>();
      accepted.add(placed(alice.header("Idempotency-Key", acceptedKey)
          .post(system.gateway("/api/orders"), items(wheel, 1))));
      for (int i = 1; i < MAX_PENDING; i++) {
        accepted.add(placed(alice.post(system.gateway("/api/orders"), items(wheel, 1))));
      }

      String refusedKey = "refused-" + UUID.randomUUID();
      for (int i = 0; i < REFUSALS; i++) {
        Http.Caller caller = i == 0 ? alice.header("Idempotency-Key", refusedKey) : alice;
        assertRefused(caller.post(system.gateway("/api/orders"), items(wheel, 1)));
      }
      assertRefused(alice.post(system.orderService("/api/orders"), items(wheel, 1))); // the gateway changed nothing
      Http.Reply retried = alice.header("Idempotency-Key", acceptedKey)
          .post(system.gateway("/api/orders"), items(wheel, 1));
      assertThat(retried.status()).as("a retry of an accepted order, past the bound: %s", retried).isEqualTo(202);
      assertThat(retried.header("Idempotent-Replayed")).isEqualTo("true");
      assertThat(retried.json().getString("id")).isEqualTo(accepted.get(0));
      assertThat(operator.orders("PENDING")).as("only the accepted orders wait").hasSize(MAX_PENDING);

      system.startInventoryService();
      accepted.forEach(id -> assertThat(operator.settled(id).getString("status")).isEqualTo("CONFIRMED"));

      // The refused key was not stored as answered: once the backlog count has caught up, it places a new order.
      Http.Reply again = Eventually.value("a new order is accepted once the backlog has drained", InJvmSystem.SETTLE,
          () -> {
            Http.Reply reply = alice.header("Idempotency-Key", refusedKey)
                .post(system.gateway("/api/orders"), items(wheel, 1));
            if (reply.status() == 503) {
              return Optional.empty();
            }
            return Optional.of(reply);
          });
      String placedAfter = placed(again);
      assertThat(again.header("Idempotent-Replayed")).as("a new answer, not a replay").isNull();
      assertThat(operator.settled(placedAfter).getString("status")).isEqualTo("CONFIRMED");
      operator.assertInvariantAtRest();
    }
  }

  private static void assertRefused(Http.Reply reply) {
    assertThat(reply.status()).as("a new order past the bound: %s", reply).isEqualTo(503);
    assertThat(reply.contentType()).startsWith(Problems.CONTENT_TYPE);
    assertThat(reply.header("Retry-After")).as("Retry-After of %s", reply).isEqualTo("1");
    assertThat(reply.json().getInteger("status")).isEqualTo(503);
    assertThat(reply.json().getString("detail")).contains("orders are waiting to be settled", "ORDER_MAX_PENDING");
  }
}
