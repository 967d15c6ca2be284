package io.github.vertxsaga.order;

import io.github.vertxsaga.platform.http.ApiException;
import io.github.vertxsaga.platform.outbox.OutboxWork;
import io.github.vertxsaga.platform.outbox.TransactionalOutbox;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.HexFormat;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * {@code Idempotency-Key}: the first answer to a (caller, key) is stored in the same transaction as the change it
 * made, so a retry, or a racing duplicate on another instance, gets that answer and changes nothing new. Keys live
 * {@link #TTL_MS}; a later request with the same key is a new request.
 */
final class Idempotency {
  static final String HEADER = "Idempotency-Key";
  static final long TTL_MS = 24L * 3600 * 1000;
  private static final Pattern SANE = Pattern.compile("[\\x21-\\x7E]{1,255}");

  private final TransactionalOutbox outbox;
  private final IdempotencyKeys keys = new IdempotencyKeys();

  Idempotency(TransactionalOutbox outbox) {
    this.outbox = outbox;
  }

  /** A request carrying a key: who, which key, and a fingerprint of what was asked. */
  record Claim(String customer, String key, String requestHash) {
  }

  /** An answer to a state-changing request, as first sent or as replayed for a repeated key. */
  record Answer(int status, JsonObject body, boolean replayed) {
    Answer(int status, JsonObject body) {
      this(status, body, false);
    }

    Answer asReplay() {
      return new Answer(status, body, true);
    }
  }

  /** The claim of a request; empty when it carries no key, 400 when the key is not sane. */
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

  /**
   * Runs {@code work} in one outbox transaction, at most once per claim: a stored answer is replayed; a duplicate
   * racing on another instance loses on the key's primary key, rolls back what it did, and replays the winner's
   * answer. Without a claim the work simply runs.
   */
  Future<Answer> once(Optional<Claim> claim, OutboxWork<Answer> work) {
    if (claim.isEmpty()) {
      return outbox.inTransaction(work);
    }
    Claim key = claim.get();
    return outbox.inTransaction((c, events) -> {
      long now = System.currentTimeMillis();
      // One query tells a live key (replayed), an expired one (replaced) and none (the usual case: only an INSERT
      // follows the work, no DELETE of an expired row that is not there).
      Optional<IdempotencyKeys.Found> found = keys.findAny(c, key.customer(), key.key());
      Optional<Answer> prior = live(found, key, now);
      if (prior.isPresent()) {
        return prior.get().asReplay();
      }
      Answer answer = work.apply(c, events);
      var stored = new IdempotencyKeys.Stored(key.requestHash(), answer.status(), answer.body().encode());
      boolean mine = found.isPresent()
          ? keys.store(c, key.customer(), key.key(), stored, now, now - TTL_MS)
          : keys.insert(c, key.customer(), key.key(), stored, now);
      if (!mine) {
        throw new DuplicateKey();
      }
      return answer;
    }).recover(e -> e instanceof DuplicateKey || isUniqueViolation(e)
        ? outbox.database().read(c -> find(c, key, System.currentTimeMillis()))
            .map(stored -> stored.orElseThrow(() -> new IllegalStateException("idempotency key vanished")).asReplay())
        : Future.failedFuture(e));
  }

  /** The stored answer of a claim, replayed, without running anything; empty without a claim or an answer. */
  Future<Optional<Answer>> replay(Optional<Claim> claim) {
    if (claim.isEmpty()) {
      return Future.succeededFuture(Optional.empty());
    }
    return outbox.database().read(c -> find(c, claim.get(), System.currentTimeMillis()).map(Answer::asReplay));
  }

  /** Deletes the keys expired at {@code now}, on the database's workers; returns how many. */
  Future<Integer> purgeExpired(long now) {
    return outbox.database().inTransaction(c -> keys.purge(c, now - TTL_MS));
  }

  /** The live answer among what was found for this claim; 422 when the key was used for a different request. */
  private static Optional<Answer> live(Optional<IdempotencyKeys.Found> found, Claim claim, long now) {
    Optional<IdempotencyKeys.Stored> stored = found.filter(row -> row.createdAt() > now - TTL_MS)
        .map(IdempotencyKeys.Found::stored);
    return answerOf(stored, claim);
  }

  /** The live answer stored for this claim; 422 when the key was used for a different request. */
  private Optional<Answer> find(Connection c, Claim claim, long now) throws SQLException {
    return answerOf(keys.find(c, claim.customer(), claim.key(), now - TTL_MS), claim);
  }

  private static Optional<Answer> answerOf(Optional<IdempotencyKeys.Stored> stored, Claim claim) {
    if (stored.isPresent() && !stored.get().requestHash().equals(claim.requestHash())) {
      throw new ApiException(422, "this " + HEADER + " was already used for a different request");
    }
    return stored.map(row -> new Answer(row.statusCode(), new JsonObject(row.response())));
  }

  /** The same lost race, when the database reports it as a unique violation instead of skipping the INSERT. */
  private static boolean isUniqueViolation(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof SQLException sql && "23505".equals(sql.getSQLState())) {
        return true;
      }
    }
    return false;
  }

  /** Lost the race for a key: roll back, then replay the winner's answer. */
  private static final class DuplicateKey extends RuntimeException {
    DuplicateKey() {
      super("idempotency key taken by a concurrent request", null, false, false);
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
