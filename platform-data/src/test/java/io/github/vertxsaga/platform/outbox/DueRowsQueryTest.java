package io.github.vertxsaga.platform.outbox;

import static io.github.vertxsaga.platform.testing.Eventually.result;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.github.vertxsaga.platform.testing.TestDatabases;
import io.github.vertxsaga.platform.testing.TestDatabases.Kind;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The relay's query for due rows, on a table as a busy service leaves it: tens of thousands of rows delivered, the
 * undelivered ones (a backlog of a thousand orders) all at the end. It must read about what it returns, not the
 * delivered rows before them.
 */
class DueRowsQueryTest extends OnEveryDatabase {
  private static final int DELIVERED = 40_000;
  private static final int UNDELIVERED = 3_000;
  private static final int LIMIT = 256;

  @Test
  @DisplayName("the due rows are read from the undelivered ones, not found among every row ever written")
  void dueRowsAreReadFromTheUndeliveredOnes(Vertx vertx) {
    assumeTrue(TestDatabases.available().contains(Kind.POSTGRES), "needs PostgreSQL: -Dtest.db.url (bin/test sets it)");
    bed = OutboxBed.open(vertx, Kind.POSTGRES, "due");
    long now = System.currentTimeMillis();
    result(bed.database.inTransaction(c -> {
      try (Statement s = c.createStatement()) {
        s.execute("INSERT INTO outbox (event_id, event_type, aggregate_id, destination, envelope, created_at, "
            + "next_attempt_at, delivered_at) SELECT 'event-' || i, 'OrderPlaced', 'order-' || i, 'inventory', "
            + "repeat('x', 300), 0, 0, CASE WHEN i <= " + DELIVERED + " THEN 1 END "
            + "FROM generate_series(1, " + (DELIVERED + UNDELIVERED) + ") i");
      }
      return null;
    }));
    // The statistics autovacuum would gather: the planner then knows how few rows are undelivered.
    result(bed.database.inTransaction(c -> {
      try (Statement s = c.createStatement()) {
        s.execute("ANALYZE outbox");
      }
      return null;
    }));

    List<OutboxRow> due = result(bed.database.read(c -> OutboxStore.due(c, now, LIMIT)));
    assertThat(due).hasSize(LIMIT);
    assertThat(due.get(0).aggregateId()).isEqualTo("order-" + (DELIVERED + 1));
    assertThat(due).extracting(OutboxRow::id).isSorted();

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
    int tablePages = result(bed.database.read(c -> {
      try (Statement s = c.createStatement();
           ResultSet rs = s.executeQuery("SELECT relpages FROM pg_class WHERE relname = 'outbox'")) {
        rs.next();
        return rs.getInt(1);
      }
    }));
    long buffers = plan.getLong("Shared Hit Blocks", 0L) + plan.getLong("Shared Read Blocks", 0L);
    // Filtering the rows in id order from the first touches every page of the table (over 2,000 here); reading the
    // undelivered rows from their index touches a few dozen.
    assertThat(buffers).as("buffers the query read, against the table's %d pages; plan: %s", tablePages,
        plan.encodePrettily()).isLessThan(tablePages / 10);
  }
}
