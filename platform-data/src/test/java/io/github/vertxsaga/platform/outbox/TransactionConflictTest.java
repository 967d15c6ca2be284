package io.github.vertxsaga.platform.outbox;

import static io.github.vertxsaga.platform.outbox.OutboxBed.fastSettings;
import static io.github.vertxsaga.platform.testing.Eventually.result;
import static io.github.vertxsaga.platform.testing.Eventually.until;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.github.vertxsaga.events.Addresses;
import io.github.vertxsaga.events.EventBatch;
import io.github.vertxsaga.events.EventEnvelope;
import io.github.vertxsaga.events.EventOutcome;
import io.github.vertxsaga.platform.testing.TestDatabases;
import io.github.vertxsaga.platform.testing.TestDatabases.Kind;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * A consumer's batch ended by PostgreSQL as the victim of a real deadlock. A batch locks the rows of several orders one
 * order after the other, so another transaction that takes the same rows the other way round closes a cycle (another
 * instance's batch, in production; the test's own transaction here). Losing it is no fault of the event whose handler
 * was waiting: nothing may be counted towards parking, and every event is applied once.
 */
class TransactionConflictTest extends OnEveryDatabase {
  private static final String CONSUMER = "conflict-test";

  private final List<List<EventOutcome>> answers = new CopyOnWriteArrayList<>();

  @Test
  @DisplayName("a batch that is a deadlock's victim is applied again, each event once, and nothing is counted")
  void deadlockVictimIsAppliedAgain(Vertx vertx) throws SQLException {
    // H2 ends the transaction that closes the cycle, the test's own here; PostgreSQL the one that waited longest.
    assumeTrue(TestDatabases.available().contains(Kind.POSTGRES), "needs PostgreSQL: -Dtest.db.url (bin/test sets it)");
    bed = OutboxBed.open(vertx, Kind.POSTGRES, "conflict");
    result(bed.database.inTransaction(c -> {
      try (Statement s = c.createStatement()) {
        s.execute("CREATE TABLE stock (sku VARCHAR(64) PRIMARY KEY, taken INT NOT NULL)");
        s.execute("INSERT INTO stock VALUES ('order-x', 0), ('order-y', 0)");
      }
      return null;
    }));
    EventHandler handler = (envelope, payload, c, events) -> {
      try (PreparedStatement ps = c.prepareStatement("UPDATE stock SET taken = taken + 1 WHERE sku = ?")) {
        ps.setString(1, envelope.subject());
        ps.executeUpdate();
      }
    };
    vertx.eventBus().addOutboundInterceptor(delivery -> {
      if (delivery.body() instanceof JsonObject json && json.containsKey("outcomes")) {
        answers.add(EventBatch.outcomes(json));
      }
      delivery.next();
    });
    result(vertx.deployVerticle(new InboxConsumer(CONSUMER, Addresses.INVENTORY_EVENTS, bed.outbox, handler, "")));
    bed.startRelay(fastSettings(1)); // one counted failure would park an event

    List<EventEnvelope> sent;
    try (Connection other = DriverManager.getConnection(bed.settings.url(), bed.settings.user(),
        bed.settings.password())) {
      other.setAutoCommit(false);
      update(other, "order-y");
      sent = emitTogether("order-x", "order-y");
      until("the batch holds order-x and waits for order-y", () -> waitingForLocks() >= 1);
      // Closes the cycle. PostgreSQL checks for a deadlock in the transaction that has waited deadlock_timeout (1 s),
      // the batch, which is ended; this one is then granted the row.
      update(other, "order-x");
      other.rollback();
    }

    until("both events are delivered", () -> sent.stream().allMatch(e -> bed.row(e).delivered()));
    for (EventEnvelope event : sent) {
      OutboxBed.Row row = bed.row(event);
      assertThat(row.failures()).as("counted failures of " + event.logLine()).isZero();
      assertThat(row.dead()).isFalse();
    }
    assertThat(answers).as("every answer: the batch applied again one by one, not refused")
        .flatExtracting(answer -> answer.stream().map(EventOutcome::outcome).toList())
        .containsOnly(EventOutcome.APPLIED);
    assertThat(taken()).as("each order's row updated once").containsExactly("order-x 1", "order-y 1");
  }

  private List<EventEnvelope> emitTogether(String... orders) {
    return result(bed.outbox.inTransaction((c, events) -> {
      List<EventEnvelope> emitted = new ArrayList<>();
      for (String order : orders) {
        emitted.add(events.emit(OutboxBed.placed(order), 1));
      }
      return emitted;
    }));
  }

  private static void update(Connection c, String sku) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("UPDATE stock SET taken = taken + 1 WHERE sku = ?")) {
      ps.setString(1, sku);
      ps.executeUpdate();
    }
  }

  private long waitingForLocks() {
    return result(bed.database.read(c -> {
      try (PreparedStatement ps = c.prepareStatement(
          "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'");
           ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getLong(1);
      }
    }));
  }

  private List<String> taken() {
    return result(bed.database.read(c -> {
      try (PreparedStatement ps = c.prepareStatement("SELECT sku, taken FROM stock ORDER BY sku");
           ResultSet rs = ps.executeQuery()) {
        List<String> rows = new ArrayList<>();
        while (rs.next()) {
          rows.add(rs.getString(1) + " " + rs.getInt(2));
        }
        return rows;
      }
    }));
  }
}
