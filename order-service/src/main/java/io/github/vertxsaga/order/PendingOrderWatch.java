package io.github.vertxsaga.order;

import io.github.vertxsaga.platform.db.Database;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.micrometer.backends.BackendRegistries;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Reports orders still PENDING past their deadline: a stuck saga shows up in the log instead of going unnoticed. */
final class PendingOrderWatch extends VerticleBase {
  private static final Logger log = LoggerFactory.getLogger(PendingOrderWatch.class);

  private final Database database;
  private final OrderRepository repository;
  private final long deadlineMs;
  private final AtomicLong overdue = new AtomicLong();

  PendingOrderWatch(Database database, OrderRepository repository, long deadlineMs) {
    this.database = database;
    this.repository = repository;
    this.deadlineMs = deadlineMs;
  }

  @Override
  public Future<?> start() {
    Gauge.builder("orders_pending_overdue", overdue, AtomicLong::get)
        .description("Orders still PENDING past ORDER_PENDING_DEADLINE_MS at the last check")
        .register(BackendRegistries.getDefaultNow() != null ? BackendRegistries.getDefaultNow() : new SimpleMeterRegistry());
    vertx.setPeriodic(Math.max(1_000, deadlineMs / 3), id -> check());
    return Future.succeededFuture();
  }

  private void check() {
    database.read(c -> repository.countPendingSince(c, System.currentTimeMillis() - deadlineMs))
        .onSuccess(count -> {
          overdue.set(count);
          if (count > 0) {
            log.warn("{} orders PENDING for more than {} ms", count, deadlineMs);
          }
        })
        .onFailure(e -> log.warn("pending order check failed: {}", e.toString()));
  }

  /** Orders PENDING past the deadline at the last check. */
  long overdue() {
    return overdue.get();
  }
}
