package io.github.vertxsaga.platform.outbox;

import static io.github.vertxsaga.platform.testing.Eventually.result;

import io.github.vertxsaga.events.EventEnvelope;
import io.github.vertxsaga.events.EventBatchCodec;
import io.github.vertxsaga.events.EventEnvelopeCodec;
import io.github.vertxsaga.events.EventPayload;
import io.github.vertxsaga.events.LineItem;
import io.github.vertxsaga.events.Payloads;
import io.github.vertxsaga.platform.db.DatabaseSettings;
import io.github.vertxsaga.platform.outbox.OutboxSettings;
import io.github.vertxsaga.platform.db.Database;
import io.github.vertxsaga.platform.testing.TestDatabases;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.Message;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;

/**
 * A real outbox on a fresh database, in a local Vert.x: the transactional outbox, optionally its relay, a scratch
 * table standing in for a service's own state, and peers standing in for the consuming services.
 */
final class OutboxBed implements AutoCloseable {
  static final String SERVICE = "outbox-test";

  final Vertx vertx;
  final DatabaseSettings settings;
  final Database database;
  final TransactionalOutbox outbox;
  private final Map<OutboxRelay, String> relays = new ConcurrentHashMap<>();

  private OutboxBed(Vertx vertx, DatabaseSettings settings, Database database) {
    this.vertx = vertx;
    this.settings = settings;
    this.database = database;
    this.outbox = new TransactionalOutbox(vertx, database, SERVICE);
  }

  static OutboxBed open(Vertx vertx, TestDatabases.Kind kind, String label) {
    EventEnvelopeCodec.register(vertx.eventBus());
    EventBatchCodec.register(vertx.eventBus());
    DatabaseSettings settings = TestDatabases.fresh(kind, label);
    Database database = result(Database.open(vertx, settings, SERVICE, "classpath:db/migration/platform"));
    result(database.inTransaction(c -> {
      try (Statement s = c.createStatement()) {
        s.execute("CREATE TABLE scratch (id VARCHAR(64) PRIMARY KEY, note VARCHAR(200))");
      }
      return null;
    }));
    return new OutboxBed(vertx, settings, database);
  }

  /**
   * Quick settings: polls every 50 ms, retries after 10 ms doubling to 200 ms. The ack time-out is generous, so a
   * slow machine never turns a consumer's answer into an uncounted time-out.
   */
  static OutboxSettings fastSettings(int maxFailures) {
    return new OutboxSettings(10_000, 50, 100, maxFailures, 10, 200, 86_400_000L);
  }

  /** Deploys a relay of the service; several may run, as the relays of several instances would. */
  OutboxRelay startRelay(OutboxSettings settings) {
    OutboxRelay relay = new OutboxRelay(database, SERVICE, settings, new OutboxMetrics("test"));
    relays.put(relay, result(vertx.deployVerticle(relay)));
    return relay;
  }

  /** Undeploys a relay, as a service instance that stops does. */
  void stopRelay(OutboxRelay relay) {
    result(vertx.undeploy(relays.remove(relay)));
  }

  static EventPayload placed(String orderId) {
    return new Payloads.OrderPlaced(orderId, "alice", List.of(new LineItem("SKU-1", 1)));
  }

  /** Commits one event of {@code orderId} for inventory ({@code inventory.events}) and returns its envelope. */
  EventEnvelope emit(String orderId, long sequence) {
    return emit(placed(orderId), sequence);
  }

  EventEnvelope emit(EventPayload payload, long sequence) {
    return result(outbox.inTransaction((c, events) -> events.emit(payload, sequence)));
  }

  void insertScratch(Connection c, String id, String note) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("INSERT INTO scratch (id, note) VALUES (?, ?)")) {
      ps.setString(1, id);
      ps.setString(2, note);
      ps.executeUpdate();
    }
  }

  long count(String sql, String parameter) {
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

  /** The outbox row of an event, as the relay left it. */
  record Row(long id, int attempts, int failures, Long deliveredAt, Long deadAt, String lastError, Long deliveredBy) {
    boolean delivered() {
      return deliveredAt != null;
    }

    boolean dead() {
      return deadAt != null;
    }
  }

  Row row(EventEnvelope envelope) {
    return rowIfAny(envelope.id()).orElseThrow(() -> new AssertionError("no outbox row for " + envelope.logLine()));
  }

  Optional<Row> rowIfAny(String eventId) {
    return result(database.read(c -> {
      try (PreparedStatement ps = c.prepareStatement("""
          SELECT id, attempts, failures, delivered_at, dead_at, last_error, delivered_by
          FROM outbox WHERE event_id = ?""")) {
        ps.setString(1, eventId);
        try (ResultSet rs = ps.executeQuery()) {
          if (!rs.next()) {
            return Optional.empty();
          }
          long delivered = rs.getLong(4);
          Long deliveredAt = rs.wasNull() ? null : delivered;
          long dead = rs.getLong(5);
          Long deadAt = rs.wasNull() ? null : dead;
          String lastError = rs.getString(6);
          long by = rs.getLong(7);
          Long deliveredBy = rs.wasNull() ? null : by;
          return Optional.of(new Row(rs.getLong(1), rs.getInt(2), rs.getInt(3), deliveredAt, deadAt, lastError,
              deliveredBy));
        }
      }
    }));
  }

  /** The service's lease row as the relays left it. */
  record Lease(String holder, long token, long expiresAt, long acquiredAt) {
  }

  Lease lease() {
    return result(database.read(c -> {
      try (PreparedStatement ps = c.prepareStatement(
          "SELECT holder, token, expires_at, acquired_at FROM outbox_relay_lease WHERE service = ?")) {
        ps.setString(1, SERVICE);
        try (ResultSet rs = ps.executeQuery()) {
          if (!rs.next()) {
            throw new AssertionError("no lease row for " + SERVICE);
          }
          return new Lease(rs.getString(1), rs.getLong(2), rs.getLong(3), rs.getLong(4));
        }
      }
    }));
  }

  /** A delivered outbox row: when (the database's time) and under which lease token it was recorded. */
  record Delivered(long id, String eventId, String aggregateId, long deliveredAt, long deliveredBy) {
  }

  /**
   * Every delivered row in the order the relays recorded them: by delivered_at, then by token, since two records a
   * millisecond apart at most cannot be told apart by their time.
   */
  List<Delivered> deliveredInOrder() {
    return result(database.read(c -> {
      try (PreparedStatement ps = c.prepareStatement("""
          SELECT id, event_id, aggregate_id, delivered_at, delivered_by FROM outbox
          WHERE delivered_at IS NOT NULL ORDER BY delivered_at, delivered_by, id""");
           ResultSet rs = ps.executeQuery()) {
        List<Delivered> rows = new ArrayList<>();
        while (rs.next()) {
          rows.add(new Delivered(rs.getLong(1), rs.getString(2), rs.getString(3), rs.getLong(4), rs.getLong(5)));
        }
        return rows;
      }
    }));
  }

  /** What a relay holding {@code token} records after its consumers acknowledged the rows; returns the rows marked. */
  int markDelivered(List<Long> ids, long token) {
    return result(database.inTransaction(c -> OutboxStore.markDelivered(c, ids, SERVICE, token)));
  }

  /**
   * A consumer standing in for another service on {@code address}: records every delivery, and fails those the
   * test says to fail (the answer a real consumer gives when its transaction rolled back).
   */
  Peer peer(String address, Predicate<EventEnvelope> fails) {
    Peer peer = new Peer(fails);
    result(vertx.eventBus().<EventEnvelope>consumer(address, peer::receive).completion());
    return peer;
  }

  static final class Peer {
    /** What one delivery was: the envelope and whether the peer acknowledged it. */
    record Delivery(EventEnvelope envelope, boolean acknowledged) {
    }

    private final Predicate<EventEnvelope> fails;
    private final List<Delivery> deliveries = new ArrayList<>();

    private Peer(Predicate<EventEnvelope> fails) {
      this.fails = fails;
    }

    private void receive(Message<EventEnvelope> message) {
      EventEnvelope envelope = message.body();
      boolean fail = fails.test(envelope);
      synchronized (this) {
        deliveries.add(new Delivery(envelope, !fail));
      }
      if (fail) {
        message.fail(500, "peer refused " + envelope.subject() + " seq=" + envelope.sequence());
      } else {
        message.reply(InboxConsumer.APPLIED);
      }
    }

    synchronized List<Delivery> deliveries() {
      return List.copyOf(deliveries);
    }

    /** Event ids acknowledged, in the order they were acknowledged. */
    synchronized List<String> acknowledged() {
      return deliveries.stream().filter(Delivery::acknowledged).map(d -> d.envelope().id()).toList();
    }

    synchronized long deliveriesOf(EventEnvelope envelope) {
      return deliveries.stream().filter(d -> d.envelope().id().equals(envelope.id())).count();
    }

    boolean acknowledged(EventEnvelope envelope) {
      return acknowledged().contains(envelope.id());
    }
  }

  /** Undeploys the relay and consumers before the database goes, so nothing is left talking to it. */
  @Override
  public void close() {
    for (String id : vertx.deploymentIDs()) {
      result(vertx.undeploy(id));
    }
    database.close();
    TestDatabases.drop(settings);
  }
}
