package io.github.vertxsaga.platform.outbox;

import io.github.vertxsaga.events.EventEnvelope;
import io.github.vertxsaga.platform.tracing.W3cTraceContext;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/** The SQL of the outbox and inbox tables, in one place. */
final class OutboxStore {

  private OutboxStore() {
  }

  /** An outbox row to write: the event and one of its destinations. */
  record Pending(EventEnvelope envelope, String destination) {
  }

  /**
   * Writes a transaction's outbox rows in one round trip (a JDBC batch), in the order given, which is the order of
   * their ids. The event goes without its trace context, which goes into columns of its own: each delivery sends its
   * own.
   */
  static void insert(Connection c, List<Pending> rows, long now) throws SQLException {
    if (rows.isEmpty()) {
      return;
    }
    try (PreparedStatement ps = c.prepareStatement("""
        INSERT INTO outbox (event_id, event_type, aggregate_id, destination, envelope, created_at, next_attempt_at,
                            traceparent, tracestate)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)""")) {
      for (Pending row : rows) {
        EventEnvelope envelope = row.envelope();
        ps.setString(1, envelope.id());
        ps.setString(2, envelope.type());
        ps.setString(3, envelope.subject());
        ps.setString(4, row.destination());
        ps.setString(5, envelope.withTraceContext(null, null).toJson().encode());
        ps.setLong(6, now);
        ps.setLong(7, now);
        ps.setString(8, envelope.traceparent());
        ps.setString(9, envelope.tracestate());
        if (rows.size() == 1) {
          ps.executeUpdate();
          return;
        }
        ps.addBatch();
      }
      ps.executeBatch();
    }
  }

  /** {@link #due}'s statement: parameters now, now, limit. */
  static final String DUE = """
      SELECT o.id, o.aggregate_id, o.destination, o.envelope, o.attempts, o.failures, o.next_attempt_at,
             o.traceparent, o.tracestate
      FROM outbox o
      WHERE o.delivered_at IS NULL AND o.dead_at IS NULL AND o.next_attempt_at <= ?
        AND NOT EXISTS (
          SELECT 1 FROM outbox w
          WHERE w.destination = o.destination AND w.aggregate_id = o.aggregate_id AND w.id < o.id
            AND w.delivered_at IS NULL AND w.dead_at IS NULL AND w.next_attempt_at > ?)
      ORDER BY o.delivered_at, o.dead_at, o.id LIMIT ?""";

  /**
   * The oldest undelivered rows that may go now, in id order (never "after the last id seen", so a late commit is
   * not skipped). A row waiting for its retry holds back the later rows of its stream (destination and aggregate), so
   * the order per aggregate is kept; it does not hold back anything else, however many such rows there are.
   *
   * <p>Sorted by the whole key of {@code outbox_undelivered}, which for these rows is the id order: sorted by id
   * alone, PostgreSQL walks the primary key from the first row ever written and filters out every delivered one
   * (it takes undelivered rows to be spread evenly, and they are all at the end). Under a backlog that was 100 ms and
   * 50,000 buffers a call, most of the database's time; on the index it reads only the rows it returns.
   */
  static List<OutboxRow> due(Connection c, long now, int limit) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(DUE)) {
      ps.setLong(1, now);
      ps.setLong(2, now);
      ps.setInt(3, limit);
      List<OutboxRow> rows = new ArrayList<>();
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          rows.add(new OutboxRow(rs.getLong(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getInt(5),
              rs.getInt(6), rs.getLong(7), new W3cTraceContext(rs.getString(8), rs.getString(9))));
        }
      }
      return rows;
    }
  }

  static String streamKey(String destination, String aggregateId) {
    return destination + '\u0000' + aggregateId;
  }

  /**
   * Marks rows delivered, at the database's time, under the relay's lease token, in one statement that also checks
   * the token is still the service's current one: a relay that lost its lease records nothing (0 rows), its rows stay
   * undelivered and the new holder delivers them again. Returns the rows marked.
   */
  static int markDelivered(Connection c, List<Long> ids, String service, long token) throws SQLException {
    if (ids.isEmpty()) {
      return 0;
    }
    String placeholders = String.join(", ", java.util.Collections.nCopies(ids.size(), "?"));
    try (PreparedStatement ps = c.prepareStatement("UPDATE outbox SET delivered_at = " + LeaseStore.NOW
        + ", delivered_by = ? WHERE id IN (" + placeholders + ") AND delivered_at IS NULL AND " + LeaseStore.FENCE)) {
      int i = 1;
      ps.setLong(i++, token);
      for (long id : ids) {
        ps.setLong(i++, id);
      }
      ps.setString(i++, service);
      ps.setLong(i, token);
      return ps.executeUpdate();
    }
  }

  /** Records a failed attempt (and, with {@code deadAt}, parks the row), fenced by the lease token like a delivery. */
  static void markFailed(Connection c, String service, long token, long id, int attempts, int failures,
                         long nextAttemptAt, Long deadAt, String error) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("""
        UPDATE outbox SET attempts = ?, failures = ?, next_attempt_at = ?, dead_at = ?, last_error = ?
        WHERE id = ? AND delivered_at IS NULL AND\s""" + LeaseStore.FENCE)) {
      ps.setInt(1, attempts);
      ps.setInt(2, failures);
      ps.setLong(3, nextAttemptAt);
      if (deadAt == null) {
        ps.setNull(4, java.sql.Types.BIGINT);
      } else {
        ps.setLong(4, deadAt);
      }
      ps.setString(5, error.length() > 2000 ? error.substring(0, 2000) : error);
      ps.setLong(6, id);
      ps.setString(7, service);
      ps.setLong(8, token);
      ps.executeUpdate();
    }
  }

  /** Records the event for this consumer; false when it was recorded before (a duplicate delivery). */
  static boolean recordInbox(Connection c, String consumer, EventEnvelope envelope, long now) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("""
        INSERT INTO inbox (consumer, event_id, event_type, received_at) VALUES (?, ?, ?, ?)
        ON CONFLICT DO NOTHING""")) {
      ps.setString(1, consumer);
      ps.setString(2, envelope.id());
      ps.setString(3, envelope.type());
      ps.setLong(4, now);
      return ps.executeUpdate() == 1;
    }
  }

  /**
   * Records several events for this consumer in one round trip (a JDBC batch of the same statement, whose counts
   * say which rows went in); element {@code i} is false when event {@code i} was recorded before (a duplicate).
   */
  static boolean[] recordInbox(Connection c, String consumer, List<EventEnvelope> envelopes, long now)
      throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("""
        INSERT INTO inbox (consumer, event_id, event_type, received_at) VALUES (?, ?, ?, ?)
        ON CONFLICT DO NOTHING""")) {
      for (EventEnvelope envelope : envelopes) {
        ps.setString(1, consumer);
        ps.setString(2, envelope.id());
        ps.setString(3, envelope.type());
        ps.setLong(4, now);
        ps.addBatch();
      }
      int[] counts = ps.executeBatch();
      boolean[] fresh = new boolean[envelopes.size()];
      for (int i = 0; i < fresh.length; i++) {
        if (counts[i] == java.sql.Statement.SUCCESS_NO_INFO) {
          // A driver that rewrote the batch cannot say which rows went in: one cannot tell a duplicate from a new one.
          throw new SQLException("the JDBC driver gave no row count for an inbox insert of a batch");
        }
        fresh[i] = counts[i] == 1;
      }
      return fresh;
    }
  }

  static JsonArray deadLetters(Connection c, int limit) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("""
        SELECT id, event_id, event_type, aggregate_id, destination, failures, dead_at, last_error, envelope,
               traceparent
        FROM outbox WHERE dead_at IS NOT NULL ORDER BY id LIMIT ?""")) {
      ps.setInt(1, limit);
      JsonArray result = new JsonArray();
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          result.add(new JsonObject()
              .put("id", rs.getLong(1))
              .put("eventId", rs.getString(2))
              .put("type", rs.getString(3))
              .put("aggregateId", rs.getString(4))
              .put("destination", rs.getString(5))
              .put("failures", rs.getInt(6))
              .put("deadLetteredAt", java.time.Instant.ofEpochMilli(rs.getLong(7)).toString())
              .put("error", rs.getString(8))
              .put("event", new JsonObject(rs.getString(9)))
              .put("traceparent", rs.getString(10)));
        }
      }
      return result;
    }
  }

  /** Puts a parked row back in line; false when no parked row has that id. */
  static boolean requeue(Connection c, long id, long now) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("""
        UPDATE outbox SET dead_at = NULL, attempts = 0, failures = 0, next_attempt_at = ?
        WHERE id = ? AND dead_at IS NOT NULL""")) {
      ps.setLong(1, now);
      ps.setLong(2, id);
      return ps.executeUpdate() == 1;
    }
  }

  static int purge(Connection c, long olderThan) throws SQLException {
    int purged = 0;
    try (PreparedStatement ps = c.prepareStatement(
        "DELETE FROM outbox WHERE delivered_at IS NOT NULL AND delivered_at < ?")) {
      ps.setLong(1, olderThan);
      purged += ps.executeUpdate();
    }
    try (PreparedStatement ps = c.prepareStatement("DELETE FROM inbox WHERE received_at < ?")) {
      ps.setLong(1, olderThan);
      purged += ps.executeUpdate();
    }
    return purged;
  }

  /** Undelivered rows and the creation time of the oldest, for backlog reporting. */
  static JsonObject backlog(Connection c) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("""
        SELECT COUNT(*), MIN(created_at),
               SUM(CASE WHEN dead_at IS NOT NULL THEN 1 ELSE 0 END)
        FROM outbox WHERE delivered_at IS NULL""");
         ResultSet rs = ps.executeQuery()) {
      rs.next();
      long oldest = rs.getLong(2);
      return new JsonObject()
          .put("undelivered", rs.getLong(1))
          .put("deadLettered", rs.getLong(3))
          .put("oldestUndeliveredAgeMs", rs.wasNull() || oldest == 0 ? 0 : System.currentTimeMillis() - oldest);
    }
  }
}
