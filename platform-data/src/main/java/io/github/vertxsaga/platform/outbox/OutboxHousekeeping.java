package io.github.vertxsaga.platform.outbox;

import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Purges delivered outbox rows and inbox rows past their retention, and samples the backlog for the metrics. The inbox must outlive any redelivery, so the
 * retention is far longer than the relay's longest retry delay.
 */
public final class OutboxHousekeeping extends VerticleBase {
  private static final Logger log = LoggerFactory.getLogger(OutboxHousekeeping.class);
  private static final long INTERVAL_MS = 60_000;

  private static final long BACKLOG_INTERVAL_MS = 5_000;

  private final TransactionalOutbox outbox;
  private final OutboxSettings settings;
  private final OutboxMetrics metrics;

  public OutboxHousekeeping(TransactionalOutbox outbox, OutboxSettings settings, OutboxMetrics metrics) {
    this.outbox = outbox;
    this.settings = settings;
    this.metrics = metrics;
  }

  @Override
  public Future<?> start() {
    vertx.setPeriodic(Math.min(INTERVAL_MS, settings.retentionMs()), id -> purge());
    vertx.setPeriodic(BACKLOG_INTERVAL_MS, id -> outbox.backlog().onSuccess(metrics::backlog));
    return Future.succeededFuture();
  }

  private void purge() {
    long olderThan = System.currentTimeMillis() - settings.retentionMs();
    outbox.database().inTransaction(c -> OutboxStore.purge(c, olderThan))
        .onSuccess(purged -> {
          if (purged > 0) {
            log.info("purged {} delivered outbox and inbox rows older than {} ms", purged, settings.retentionMs());
          }
        })
        .onFailure(e -> log.warn("outbox purge failed: {}", e.toString()));
  }
}
