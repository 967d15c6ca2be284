package io.github.vertxsaga.platform.outbox;

import static io.github.vertxsaga.platform.testing.Eventually.result;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.github.vertxsaga.platform.testing.TestDatabases;
import io.github.vertxsaga.platform.testing.TestDatabases.Kind;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The relay's query for due rows, on a table as a busy service leaves it: tens of thousands of rows delivered, the
 * undelivered ones (a backlog of a thousand orders) all at the end, a few of them waiting for a retry. Every relay
 * pass runs it, so it must read about what it returns: not the delivered rows before the backlog, nor the whole
 * backlog to find the few rows that wait.
 */
class DueRowsQueryTest extends OnEveryDatabase {
  private static final int DELIVERED = 40_000;
  private static final int UNDELIVERED = 3_000;
  private static final int LIMIT = 256;

  @Test
  @DisplayName("the due rows are read from the undelivered ones, and the waiting ones from the few that wait")
  void dueRowsAreReadFromTheUndeliveredOnes(Vertx vertx) throws SQLException {
    assumeTrue(TestDatabases.available().contains(Kind.POSTGRES), "needs PostgreSQL: -Dtest.db.url (bin/test sets it)");
    bed = OutboxBed.open(vertx, Kind.POSTGRES, "due");
    long now = System.currentTimeMillis();
    int first = DELIVERED + 1;
    try (Connection c = DriverManager.getConnection(bed.settings.url(), bed.settings.user(), bed.settings.password());
         Statement s = c.createStatement()) {
      s.execute("INSERT INTO outbox (event_id, event_type, aggregate_id, destination, envelope, created_at, "
          + "next_attempt_at) SELECT 'event-' || i, 'OrderPlaced', 'order-' || i, 'inventory', repeat('x', 300), 0, 0 "
          + "FROM generate_series(1, " + (DELIVERED + UNDELIVERED) + ") i");
      s.execute("UPDATE outbox SET delivered_at = 1 WHERE aggregate_id IN (SELECT 'order-' || i "
          + "FROM generate_series(1, " + DELIVERED + ") i)");
      // The first two orders of the backlog wait for a retry, and each has a later row that they hold back.
      s.execute("UPDATE outbox SET next_attempt_at = " + (now + 60_000) + " WHERE aggregate_id IN ('order-" + first
          + "', 'order-" + (first + 1) + "')");
      s.execute("INSERT INTO outbox (event_id, event_type, aggregate_id, destination, envelope, created_at, "
          + "next_attempt_at) VALUES ('held-1', 'OrderCancelled', 'order-" + first + "', 'inventory', '{}', 0, 0), "
          + "('held-2', 'OrderCancelled', 'order-" + (first + 1) + "', 'inventory', '{}', 0, 0)");
      // What autovacuum does in time: dead row versions gone, and the statistics it gathers.
      s.execute("VACUUM ANALYZE outbox");
    }

    List<OutboxRow> due = result(bed.database.read(c -> OutboxStore.due(c, now, LIMIT)));
    assertThat(due).hasSize(LIMIT);
    assertThat(due).extracting(OutboxRow::id).isSorted();
    assertThat(due.get(0).aggregateId()).isEqualTo("order-" + (first + 2));
    assertThat(due).extracting(OutboxRow::aggregateId).doesNotContain("order-" + first, "order-" + (first + 1));

    JsonObject plan = result(bed.database.read(c -> {
      try (PreparedStatement ps = c.prepareStatement("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + OutboxStore.DUE)) {
        ps.setLong(1, now);
        ps.setLong(2, now);
        ps.setInt(3, LIMIT);
        try (ResultSet rs = ps.executeQuery()) {
          rs.next();
          return new JsonArray(rs.getString(1)).getJsonObject(0).getJsonObject("Plan");
        }
      }
    }));
    long buffers = plan.getLong("Shared Hit Blocks", 0L) + plan.getLong("Shared Read Blocks", 0L);
    // The rows returned fill about 20 pages. Walking the table in id order from the first row reads over 2,000;
    // reading the whole backlog to find the rows that wait, about 175.
    assertThat(buffers).as("buffers the query read; plan: %s", plan.encodePrettily()).isLessThan(100);
  }
}
