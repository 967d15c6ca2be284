package io.github.vertxsaga.inventory;

import io.github.vertxsaga.events.LineItem;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

/** The SQL of stock and reservations. Every method runs inside the caller's transaction. */
final class InventoryRepository {

  /** What inventory did for one order. */
  record Reservation(String orderId, ReservationStatus status, List<LineItem> items, long version) {
  }

  JsonObject restock(Connection c, String sku, long quantity, long now) throws SQLException {
    try (PreparedStatement update = c.prepareStatement(
        "UPDATE inventory_items SET available = available + ?, updated_at = ? WHERE sku = ?")) {
      update.setLong(1, quantity);
      update.setLong(2, now);
      update.setString(3, sku);
      if (update.executeUpdate() == 0 && !insertItem(c, sku, quantity, now)) {
        update.executeUpdate(); // another transaction created the SKU meanwhile: add to it
      }
    }
    return find(c, sku).orElseThrow();
  }

  private static boolean insertItem(Connection c, String sku, long quantity, long now) throws SQLException {
    try (PreparedStatement insert = c.prepareStatement("""
        INSERT INTO inventory_items (sku, available, reserved, created_at, updated_at) VALUES (?, ?, 0, ?, ?)
        ON CONFLICT DO NOTHING""")) {
      insert.setString(1, sku);
      insert.setLong(2, quantity);
      insert.setLong(3, now);
      insert.setLong(4, now);
      return insert.executeUpdate() == 1;
    }
  }

  Optional<JsonObject> find(Connection c, String sku) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(
        "SELECT sku, available, reserved FROM inventory_items WHERE sku = ?")) {
      ps.setString(1, sku);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? Optional.of(item(rs)) : Optional.empty();
      }
    }
  }

  JsonArray list(Connection c, int limit, long offset) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(
        "SELECT sku, available, reserved FROM inventory_items ORDER BY sku LIMIT ? OFFSET ?")) {
      ps.setInt(1, limit);
      ps.setLong(2, offset);
      JsonArray items = new JsonArray();
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          items.add(item(rs));
        }
      }
      return items;
    }
  }

  /**
   * Takes {@code quantity} of a SKU from available into reserved, only if that much is available. The condition in
   * the UPDATE makes the database serialise concurrent reservations: no lock, no oversell.
   */
  boolean tryReserve(Connection c, String sku, int quantity, long now) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("""
        UPDATE inventory_items SET available = available - ?, reserved = reserved + ?, updated_at = ?
        WHERE sku = ? AND available >= ?""")) {
      ps.setInt(1, quantity);
      ps.setInt(2, quantity);
      ps.setLong(3, now);
      ps.setString(4, sku);
      ps.setInt(5, quantity);
      return ps.executeUpdate() == 1;
    }
  }

  void release(Connection c, String sku, int quantity, long now) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("""
        UPDATE inventory_items SET available = available + ?, reserved = reserved - ?, updated_at = ?
        WHERE sku = ? AND reserved >= ?""")) {
      ps.setInt(1, quantity);
      ps.setInt(2, quantity);
      ps.setLong(3, now);
      ps.setString(4, sku);
      ps.setInt(5, quantity);
      if (ps.executeUpdate() != 1) {
        throw new SQLException("cannot release " + quantity + " of " + sku + ": not that much reserved");
      }
    }
  }

  OptionalLong available(Connection c, String sku) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT available FROM inventory_items WHERE sku = ?")) {
      ps.setString(1, sku);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? OptionalLong.of(rs.getLong(1)) : OptionalLong.empty();
      }
    }
  }

  /** The order's reservation row, locked for the rest of the transaction. */
  Optional<Reservation> reservationForUpdate(Connection c, String orderId) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(
        "SELECT order_id, status, items, version FROM reservations WHERE order_id = ? FOR UPDATE")) {
      ps.setString(1, orderId);
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          return Optional.empty();
        }
        return Optional.of(new Reservation(rs.getString(1), ReservationStatus.valueOf(rs.getString(2)),
            LineItem.listFromJson(new JsonArray(rs.getString(3))), rs.getLong(4)));
      }
    }
  }

  void insertReservation(Connection c, String orderId, ReservationStatus status, List<LineItem> items, String reason,
                         long now)
      throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("""
        INSERT INTO reservations (order_id, status, items, reason, version, updated_at) VALUES (?, ?, ?, ?, 1, ?)""")) {
      ps.setString(1, orderId);
      ps.setString(2, status.name());
      ps.setString(3, LineItem.toJson(items).encode());
      ps.setString(4, reason);
      ps.setLong(5, now);
      ps.executeUpdate();
    }
  }

  void updateReservation(Connection c, String orderId, ReservationStatus status, long version, long now)
      throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(
        "UPDATE reservations SET status = ?, version = ?, updated_at = ? WHERE order_id = ?")) {
      ps.setString(1, status.name());
      ps.setLong(2, version);
      ps.setLong(3, now);
      ps.setString(4, orderId);
      ps.executeUpdate();
    }
  }

  private static JsonObject item(ResultSet rs) throws SQLException {
    return new JsonObject()
        .put("sku", rs.getString(1))
        .put("available", rs.getLong(2))
        .put("reserved", rs.getLong(3));
  }
}
