package io.github.vertxsaga.platform.outbox;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.OptionalLong;

/**
 * The SQL of the relay lease, in one place. Every time is the database's ({@link #NOW}): the hosts of a service's
 * instances need not agree on the time, they all ask the same database.
 */
final class LeaseStore {
  /**
   * The database's time in ms since the epoch; the same expression on PostgreSQL and on H2 in PostgreSQL mode. It is
   * one value within a statement on both (PostgreSQL fixes it when the transaction starts, H2 at its first write).
   */
  static final String NOW = "CAST(EXTRACT(EPOCH FROM CURRENT_TIMESTAMP) * 1000 AS BIGINT)";

  /** The condition every write of a relay adds: its token is still the service's current one. */
  static final String FENCE = "EXISTS (SELECT 1 FROM outbox_relay_lease WHERE service = ? AND token = ?)";

  private LeaseStore() {
  }

  /**
   * Ends the transaction, on PostgreSQL, should its client fall silent for longer than the lease. A relay frozen
   * (SIGSTOP) between two statements of a transaction that locked the lease row would otherwise keep it locked, and no
   * standby could take over until it resumed; this way the takeover bound stays the lease plus one renew interval. H2
   * serves a single JVM, which freezes whole.
   */
  static void boundIdle(Connection c, long leaseMs) throws SQLException {
    if ("PostgreSQL".equals(c.getMetaData().getDatabaseProductName())) {
      try (Statement s = c.createStatement()) {
        s.execute("SET LOCAL idle_in_transaction_session_timeout = " + leaseMs);
      }
    }
  }

  /**
   * Takes the lease when it is free or expired (or still ours from before), bumping the token; the row is created on
   * first use. Returns the new token, or nothing when another relay holds the lease.
   */
  static OptionalLong acquire(Connection c, String service, String holder, long leaseMs) throws SQLException {
    boundIdle(c, leaseMs);
    try (PreparedStatement ps = c.prepareStatement(
        "INSERT INTO outbox_relay_lease (service, token, expires_at) VALUES (?, 0, 0) ON CONFLICT DO NOTHING")) {
      ps.setString(1, service);
      ps.executeUpdate();
    }
    try (PreparedStatement ps = c.prepareStatement("UPDATE outbox_relay_lease"
        + " SET holder = ?, token = token + 1, expires_at = " + NOW + " + ?, acquired_at = " + NOW
        + " WHERE service = ? AND (expires_at <= " + NOW + " OR holder = ?)")) {
      ps.setString(1, holder);
      ps.setLong(2, leaseMs);
      ps.setString(3, service);
      ps.setString(4, holder);
      if (ps.executeUpdate() == 0) {
        return OptionalLong.empty();
      }
    }
    // The row is ours (locked by the update) until the commit: this reads our own token.
    try (PreparedStatement ps = c.prepareStatement("SELECT token FROM outbox_relay_lease WHERE service = ?")) {
      ps.setString(1, service);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return OptionalLong.of(rs.getLong(1));
      }
    }
  }

  /** Extends the lease; false when it is no longer ours (taken over since). */
  static boolean renew(Connection c, String service, String holder, long token, long leaseMs) throws SQLException {
    boundIdle(c, leaseMs);
    try (PreparedStatement ps = c.prepareStatement("UPDATE outbox_relay_lease SET expires_at = " + NOW + " + ?"
        + " WHERE service = ? AND holder = ? AND token = ?")) {
      ps.setLong(1, leaseMs);
      ps.setString(2, service);
      ps.setString(3, holder);
      ps.setLong(4, token);
      return ps.executeUpdate() == 1;
    }
  }

  /** Lets the lease expire now, so a standby takes it at its next attempt; false when it was no longer ours. */
  static boolean release(Connection c, String service, String holder, long token, long leaseMs)
      throws SQLException {
    boundIdle(c, leaseMs);
    try (PreparedStatement ps = c.prepareStatement("UPDATE outbox_relay_lease SET expires_at = " + NOW
        + " WHERE service = ? AND holder = ? AND token = ?")) {
      ps.setString(1, service);
      ps.setString(2, holder);
      ps.setLong(3, token);
      return ps.executeUpdate() == 1;
    }
  }

  /**
   * Locks the lease row until the commit if the token is still current; false when it is not. A takeover then waits
   * for this transaction, so whatever it records commits before the new token exists, never after.
   */
  static boolean hold(Connection c, String service, long token, long leaseMs) throws SQLException {
    boundIdle(c, leaseMs);
    try (PreparedStatement ps = c.prepareStatement(
        "SELECT token FROM outbox_relay_lease WHERE service = ? AND token = ? FOR UPDATE")) {
      ps.setString(1, service);
      ps.setLong(2, token);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next();
      }
    }
  }
}
