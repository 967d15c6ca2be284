package io.github.vertxsaga.order;

import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Deletes idempotency keys past their time to live. An expired key is never replayed (a request with it is new), so
 * its row is dead weight, and without this the table would keep one row for every keyed request ever answered.
 * Every order-service instance purges: two doing it at once delete the same rows, which costs nothing.
 */
final class IdempotencyKeyPurge extends VerticleBase {
  private static final Logger log = LoggerFactory.getLogger(IdempotencyKeyPurge.class);

  private final Idempotency idempotency;
  private final long intervalMs;

  IdempotencyKeyPurge(Idempotency idempotency, long intervalMs) {
    this.idempotency = idempotency;
    this.intervalMs = intervalMs;
  }

  @Override
  public Future<?> start() {
    vertx.setPeriodic(intervalMs, id -> purge());
    return Future.succeededFuture();
  }

  private void purge() {
    idempotency.purgeExpired(System.currentTimeMillis())
        .onSuccess(purged -> {
          if (purged > 0) {
            log.info("purged {} idempotency keys older than {} ms", purged, Idempotency.TTL_MS);
          }
        })
        .onFailure(e -> log.warn("idempotency key purge failed: {}", e.toString()));
  }
}
