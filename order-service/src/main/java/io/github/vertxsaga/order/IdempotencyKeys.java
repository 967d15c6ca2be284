package io.github.vertxsaga.order;

import io.github.vertxsaga.platform.http.ApiException;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.HexFormat;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * {@code Idempotency-Key}: the first answer to a (caller, key) is stored in the same transaction as the order it
 * created, so a retry, or a racing duplicate on another instance, gets that answer and places nothing new.
 */
final class IdempotencyKeys {
  static final String HEADER = "Idempotency-Key";
  static final long TTL_MS = 24L * 3600 * 1000;
  private static final Pattern SANE = Pattern.compile("[\\x21-\\x7E]{1,255}");

  /** A request carrying a key: who, which key, and a fingerprint of what was asked. */
  record Claim(String customer, String key, String requestHash) {
  }

  static Optional<Claim> claim(String customer, String rawKey, String method, String path, JsonObject body) {
    if (rawKey == null) {
      return Optional.empty();
    }
    if (!SANE.matcher(rawKey).matches()) {
      throw ApiException.badRequest("'" + HEADER + "' must be 1 to 255 visible ASCII characters");
    }
    String fingerprint = method + " " + path + "\n" + (body == null ? "" : body.encode());
    return Optional.of(new Claim(customer, rawKey, sha256(fingerprint)));
  }

  /** The live answer stored for this claim; 422 when the key was used for a different request. */
  Optional<OrderApi.Answer> find(Connection c, Claim claim, long now) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("""
        SELECT request_hash, status_code, response FROM idempotency_keys
        WHERE customer = ? AND idem_key = ? AND created_at > ?""")) {
      ps.setString(1, claim.customer());
      ps.setString(2, claim.key());
      ps.setLong(3, now - TTL_MS);
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          return Optional.empty();
        }
        if (!rs.getString(1).equals(claim.requestHash())) {
          throw new ApiException(422, "this " + HEADER + " was already used for a different request");
        }
        return Optional.of(new OrderApi.Answer(rs.getInt(2), new JsonObject(rs.getString(3))));
      }
    }
  }

  /**
   * Stores the answer; false when another transaction stored one for the same key first (it committed meanwhile:
   * PostgreSQL waits for it on the primary key), in which case the caller must roll back and replay that one.
   */
  boolean store(Connection c, Claim claim, OrderApi.Answer answer, long now) throws SQLException {
    try (PreparedStatement expired = c.prepareStatement(
        "DELETE FROM idempotency_keys WHERE customer = ? AND idem_key = ? AND created_at <= ?")) {
      expired.setString(1, claim.customer());
      expired.setString(2, claim.key());
      expired.setLong(3, now - TTL_MS);
      expired.executeUpdate();
    }
    try (PreparedStatement ps = c.prepareStatement("""
        INSERT INTO idempotency_keys (customer, idem_key, request_hash, status_code, response, created_at)
        VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING""")) {
      ps.setString(1, claim.customer());
      ps.setString(2, claim.key());
      ps.setString(3, claim.requestHash());
      ps.setInt(4, answer.status());
      ps.setString(5, answer.body().encode());
      ps.setLong(6, now);
      return ps.executeUpdate() == 1;
    }
  }

  int purge(Connection c, long now) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("DELETE FROM idempotency_keys WHERE created_at <= ?")) {
      ps.setLong(1, now - TTL_MS);
      return ps.executeUpdate();
    }
  }

  private static String sha256(String text) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
