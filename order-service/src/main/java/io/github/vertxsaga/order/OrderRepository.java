package io.github.vertxsaga.order;

import io.github.vertxsaga.events.LineItem;
import io.vertx.core.json.JsonArray;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** The SQL of orders. Every method runs inside the caller's transaction or read. */
final class OrderRepository {
  private static final String COLUMNS = "id, customer, status, items, reason, version, created_at, updated_at";

  void insert(Connection c, Order order) throws SQLException {
    insert(c, List.of(order));
  }

  /** Several new orders in one round trip (a JDBC batch). */
  void insert(Connection c, List<Order> orders) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("INSERT INTO orders (" + COLUMNS + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?)")) {
      for (Order order : orders) {
        ps.setString(1, order.id());
        ps.setString(2, order.customer());
        ps.setString(3, order.status().name());
        ps.setString(4, LineItem.toJson(order.items()).encode());
        ps.setString(5, order.reason());
        ps.setLong(6, order.version());
        ps.setLong(7, order.createdAt());
        ps.setLong(8, order.updatedAt());
        if (orders.size() == 1) {
          ps.executeUpdate();
          return;
        }
        ps.addBatch();
      }
      ps.executeBatch();
    }
  }

  void update(Connection c, Order order) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(
        "UPDATE orders SET status = ?, reason = ?, version = ?, updated_at = ? WHERE id = ?")) {
      ps.setString(1, order.status().name());
      ps.setString(2, order.reason());
      ps.setLong(3, order.version());
      ps.setLong(4, order.updatedAt());
      ps.setString(5, order.id());
      ps.executeUpdate();
    }
  }

  Optional<Order> find(Connection c, String id) throws SQLException {
    return findOne(c, "SELECT " + COLUMNS + " FROM orders WHERE id = ?", id);
  }

  /** The order, locked until the transaction ends, so a cancel and an inventory answer cannot interleave. */
  Optional<Order> findForUpdate(Connection c, String id) throws SQLException {
    return findOne(c, "SELECT " + COLUMNS + " FROM orders WHERE id = ? FOR UPDATE", id);
  }

  /** Newest first; {@code customer} and {@code status} null for all. */
  List<Order> list(Connection c, String customer, OrderStatus status, int limit, long offset) throws SQLException {
    List<String> where = new ArrayList<>();
    if (customer != null) {
      where.add("customer = ?");
    }
    if (status != null) {
      where.add("status = ?");
    }
    String sql = "SELECT " + COLUMNS + " FROM orders" + (where.isEmpty() ? "" : " WHERE " + String.join(" AND ", where))
        + " ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?";
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      int i = 1;
      if (customer != null) {
        ps.setString(i++, customer);
      }
      if (status != null) {
        ps.setString(i++, status.name());
      }
      ps.setInt(i++, limit);
      ps.setLong(i, offset);
      List<Order> orders = new ArrayList<>();
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          orders.add(order(rs));
        }
      }
      return orders;
    }
  }

  long countPendingSince(Connection c, long createdBefore) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(
        "SELECT COUNT(*) FROM orders WHERE status = 'PENDING' AND created_at < ?")) {
      ps.setLong(1, createdBefore);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getLong(1);
      }
    }
  }

  /** The PENDING orders: how many, and when the oldest was placed ({@link Long#MAX_VALUE} when there is none). */
  record Backlog(long pending, long oldestCreatedAt) {
  }

  Backlog pendingBacklog(Connection c) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(
        "SELECT COUNT(*), MIN(created_at) FROM orders WHERE status = 'PENDING'")) {
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        long oldest = rs.getLong(2);
        return new Backlog(rs.getLong(1), rs.wasNull() ? Long.MAX_VALUE : oldest);
      }
    }
  }

  private Optional<Order> findOne(Connection c, String sql, String id) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      ps.setString(1, id);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? Optional.of(order(rs)) : Optional.empty();
      }
    }
  }

  private static Order order(ResultSet rs) throws SQLException {
    return new Order(rs.getString(1), rs.getString(2), OrderStatus.valueOf(rs.getString(3)),
        LineItem.listFromJson(new JsonArray(rs.getString(4))), rs.getString(5), rs.getLong(6), rs.getLong(7),
        rs.getLong(8));
  }
}
