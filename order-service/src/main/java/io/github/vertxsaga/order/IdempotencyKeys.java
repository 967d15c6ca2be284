package io.github.vertxsaga.order;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Optional;

/**
 * The SQL of {@code idempotency_keys}. Knows rows and times only; what a key means, and how long it lives, is
 * {@code Idempotency}'s. Every method runs inside the caller's transaction or read.
 */
final class IdempotencyKeys {

  /** What was stored for a (customer, key): the request's fingerprint and the answer sent to it. */
  record Stored(String requestHash, int statusCode, String response) {
  }

  /** The row of (customer, key), however old, and when it was created. */
  record Found(Stored stored, long createdAt) {
  }

  /** The row of (customer, key), live or expired: one query tells a live key, an expired one and none apart. */
  Optional<Found> findAny(Connection c, String customer, String key) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("""
        SELECT request_hash, status_code, response, created_at FROM idempotency_keys
        WHERE customer = ? AND idem_key = ?""")) {
      ps.setString(1, customer);
      ps.setString(2, key);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next()
            ? Optional.of(new Found(new Stored(rs.getString(1), rs.getInt(2), rs.getString(3)), rs.getLong(4)))
            : Optional.empty();
      }
    }
  }

  /** The row of (customer, key) created after {@code liveAfter}, if any. */
  Optional<Stored> find(Connection c, String customer, String key, long liveAfter) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("""
        SELECT request_hash, status_code, response FROM idempotency_keys
        WHERE customer = ? AND idem_key = ? AND created_at > ?""")) {
      ps.setString(1, customer);
      ps.setString(2, key);
      ps.setLong(3, liveAfter);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? Optional.of(new Stored(rs.getString(1), rs.getInt(2), rs.getString(3))) : Optional.empty();
      }
    }
  }

  /**
   * Stores the row, replacing an expired one of the same key (created at or before {@code liveAfter}); false when a
   * live row is there already, because another transaction stored it first (PostgreSQL waits for that one to commit
   * on the primary key).
   */
  boolean store(Connection c, String customer, String key, Stored stored, long now, long liveAfter)
      throws SQLException {
    try (PreparedStatement expired = c.prepareStatement(
        "DELETE FROM idempotency_keys WHERE customer = ? AND idem_key = ? AND created_at <= ?")) {
      expired.setString(1, customer);
      expired.setString(2, key);
      expired.setLong(3, liveAfter);
      expired.executeUpdate();
    }
    return insert(c, customer, key, stored, now);
  }

  /**
   * Stores the row where none was found: one statement; false when another transaction stored it first (PostgreSQL
   * waits for that one to commit on the primary key).
   */
  boolean insert(Connection c, String customer, String key, Stored stored, long now) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("""
        INSERT INTO idempotency_keys (customer, idem_key, request_hash, status_code, response, created_at)
        VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING""")) {
      ps.setString(1, customer);
      ps.setString(2, key);
      ps.setString(3, stored.requestHash());
      ps.setInt(4, stored.statusCode());
      ps.setString(5, stored.response());
      ps.setLong(6, now);
      return ps.executeUpdate() == 1;
    }
  }

  /** Deletes every row created at or before {@code liveAfter}; returns how many. */
  int purge(Connection c, long liveAfter) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("DELETE FROM idempotency_keys WHERE created_at <= ?")) {
      ps.setLong(1, liveAfter);
      return ps.executeUpdate();
    }
  }
}
