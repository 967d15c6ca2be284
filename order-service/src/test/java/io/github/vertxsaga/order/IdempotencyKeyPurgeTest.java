package io.github.vertxsaga.order;

import static io.github.vertxsaga.platform.testing.Eventually.result;
import static org.assertj.core.api.Assertions.assertThat;

import io.github.vertxsaga.events.ServiceNames;
import io.github.vertxsaga.platform.db.DatabaseSettings;
import io.github.vertxsaga.platform.db.Database;
import io.github.vertxsaga.platform.outbox.TransactionalOutbox;
import io.github.vertxsaga.platform.testing.Eventually;
import io.github.vertxsaga.platform.testing.TestDatabases;
import io.github.vertxsaga.platform.testing.TestDatabases.Kind;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Expired idempotency keys are deleted on a schedule; live ones stay and are still replayed. */
@ExtendWith(VertxExtension.class)
class IdempotencyKeyPurgeTest {
  private static final String CUSTOMER = "alice";

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
  @DisplayName("the periodic purge deletes a key past its time to live and keeps one that is still live")
  void purgeDeletesExpiredKeysOnly(Kind kind, Vertx vertx) {
    Idempotency idempotency = open(vertx, kind);
    long now = System.currentTimeMillis();
    store("expired", now - Idempotency.TTL_MS - 60_000);
    store("live", now - Idempotency.TTL_MS + 600_000); // ten minutes left: far more than this test takes

    result(vertx.deployVerticle(new IdempotencyKeyPurge(idempotency, 50)));

    Eventually.until("the expired key is purged", () -> !exists("expired"));
    assertThat(exists("live")).as("the live key's row").isTrue();
  }

  @ParameterizedTest(name = "on {0}")
  @MethodSource("databases")
  @DisplayName("a purge counts the keys it deleted, and a live key is still replayed after it")
  void liveKeyIsReplayedAfterAPurge(Kind kind, Vertx vertx) {
    Idempotency idempotency = open(vertx, kind);
    long now = System.currentTimeMillis();
    store("old-1", now - Idempotency.TTL_MS);
    store("old-2", now - 2 * Idempotency.TTL_MS);
    var claim = Idempotency.claim(CUSTOMER, "recent", "POST", "/api/orders", null);
    Idempotency.Answer first = result(idempotency.once(claim,
        (c, events) -> new Idempotency.Answer(202, new JsonObject().put("id", "order-1"))));

    assertThat(result(idempotency.purgeExpired(System.currentTimeMillis()))).isEqualTo(2);

    Idempotency.Answer again = result(idempotency.once(claim, (c, events) -> {
      throw new AssertionError("a replayed key must not run its work again");
    }));
    assertThat(again.replayed()).isTrue();
    assertThat(again.body()).isEqualTo(first.body());
  }

  private Idempotency open(Vertx vertx, Kind kind) {
    settings = TestDatabases.fresh(kind, "idempotency");
    database = result(Database.open(vertx, settings, ServiceNames.ORDER_SERVICE, "classpath:db/migration/platform",
        "classpath:db/migration/" + ServiceNames.ORDER_SERVICE));
    return new Idempotency(new TransactionalOutbox(vertx, database, ServiceNames.ORDER_SERVICE));
  }

  /** Stores an answer for {@code key} as if it had been given at {@code createdAt}. */
  private void store(String key, long createdAt) {
    var stored = new IdempotencyKeys.Stored("hash-" + key, 202, "{\"id\":\"" + key + "\"}");
    boolean inserted = result(database.inTransaction(
        c -> new IdempotencyKeys().store(c, CUSTOMER, key, stored, createdAt, createdAt - Idempotency.TTL_MS)));
    assertThat(inserted).as("stored " + key).isTrue();
  }

  /** Whether the row of {@code key} is still in the table, expired or not. */
  private boolean exists(String key) {
    return result(database.read(c -> {
      try (PreparedStatement ps = c.prepareStatement(
          "SELECT COUNT(*) FROM idempotency_keys WHERE customer = ? AND idem_key = ?")) {
        ps.setString(1, CUSTOMER);
        ps.setString(2, key);
        try (ResultSet rs = ps.executeQuery()) {
          rs.next();
          return rs.getLong(1) == 1;
        }
      }
    }));
  }
}
