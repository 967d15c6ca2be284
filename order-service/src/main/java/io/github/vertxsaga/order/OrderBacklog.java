package io.github.vertxsaga.order;

import io.github.vertxsaga.platform.db.Database;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.micrometer.backends.BackendRegistries;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Bounded acceptance: the API takes orders faster than the saga settles them, so above the saga's peak the PENDING
 * backlog, and with it every order's wait, would grow without end. Past {@code maxPending} PENDING orders (or, when
 * set, an oldest PENDING order older than {@code maxAgeMs}) a new order is refused with 503 and Retry-After until the
 * backlog drains.
 *
 * <p>The decision must cost nothing per request, and the backlog is the database's (every instance of the service
 * places orders in it, and any instance may settle them): so the count is read every {@link #REFRESH_MS} with one
 * indexed query, and the orders this instance accepted since that query started are added to it in memory, which
 * keeps a burst on one instance from overshooting the bound by a refresh's worth. Other instances' orders of the
 * last refresh are not seen: the bound is exceeded by at most what they accept in {@link #REFRESH_MS}.
 */
final class OrderBacklog extends VerticleBase {
  /** How stale the shared count may be. */
  static final long REFRESH_MS = 200;
  /** What a refused client is told to wait, in seconds: a few refreshes, the time a drained backlog takes to show. */
  static final int RETRY_AFTER_S = 1;
  private static final Logger log = LoggerFactory.getLogger(OrderBacklog.class);

  private final Database database;
  private final OrderRepository repository;
  private final long maxPending;
  private final long maxAgeMs;
  private final AtomicLong pending = new AtomicLong();
  private final AtomicLong oldestCreatedAt = new AtomicLong(Long.MAX_VALUE);
  /** Orders this instance accepted since the running (or next) count started. */
  private final AtomicLong acceptedSinceCount = new AtomicLong();
  private final AtomicBoolean counting = new AtomicBoolean();
  private final AtomicBoolean refusing = new AtomicBoolean();
  private volatile boolean known;
  private Counter refused;

  /**
   * @param maxPending PENDING orders past which new ones are refused; 0: no bound
   * @param maxAgeMs   age of the oldest PENDING order past which new ones are refused; 0: no bound
   */
  OrderBacklog(Database database, OrderRepository repository, long maxPending, long maxAgeMs) {
    this.database = database;
    this.repository = repository;
    this.maxPending = maxPending;
    this.maxAgeMs = maxAgeMs;
  }

  @Override
  public Future<?> start() {
    MeterRegistry registry = BackendRegistries.getDefaultNow() != null ? BackendRegistries.getDefaultNow()
        : new SimpleMeterRegistry();
    Gauge.builder("orders_pending", pending, AtomicLong::get)
        .description("Orders PENDING at the last count, which bounded acceptance compares with ORDER_MAX_PENDING")
        .register(registry);
    refused = Counter.builder("orders_refused")
        .description("New orders refused with 503 because the PENDING backlog was past its bound")
        .register(registry);
    if (maxPending == 0 && maxAgeMs == 0) {
      return Future.succeededFuture();
    }
    vertx.setPeriodic(REFRESH_MS, id -> count());
    return database.read(c -> repository.pendingBacklog(c)).onSuccess(this::counted).mapEmpty();
  }

  private void count() {
    if (!counting.compareAndSet(false, true)) {
      return; // the previous count is still running: the database is slow, do not pile more onto it
    }
    long acceptedBefore = acceptedSinceCount.get();
    database.read(c -> repository.pendingBacklog(c))
        .onSuccess(backlog -> {
          acceptedSinceCount.addAndGet(-acceptedBefore); // those are in this count now
          counted(backlog);
        })
        .onFailure(e -> log.warn("counting PENDING orders failed: {}", e.toString()))
        .onComplete(ar -> counting.set(false));
  }

  private void counted(OrderRepository.Backlog backlog) {
    pending.set(backlog.pending());
    oldestCreatedAt.set(backlog.oldestCreatedAt());
    known = true;
  }

  /** Why a new order would be refused now; null when it is admitted. Cheap: two reads of memory. */
  String refusal() {
    if (!known) {
      return null;
    }
    String reason = null;
    long backlog = pending.get() + acceptedSinceCount.get();
    if (maxPending > 0 && backlog >= maxPending) {
      reason = backlog + " orders are waiting to be settled (ORDER_MAX_PENDING is " + maxPending
          + "); new orders are accepted again once the backlog drains";
    } else if (maxAgeMs > 0 && System.currentTimeMillis() - oldestCreatedAt.get() > maxAgeMs) {
      reason = "the oldest order waiting to be settled is older than " + maxAgeMs
          + " ms (ORDER_MAX_PENDING_AGE_MS); new orders are accepted again once the backlog drains";
    }
    if ((reason != null) != refusing.get() && refusing.compareAndSet(reason == null, reason != null)) {
      if (reason != null) {
        log.warn("refusing new orders: {}", reason);
      } else {
        log.info("accepting new orders again: {} PENDING", backlog);
      }
    }
    return reason;
  }

  /** A new order of this instance committed. */
  void accepted() {
    acceptedSinceCount.incrementAndGet();
  }

  /** A new order refused. */
  void refused() {
    if (refused != null) {
      refused.increment();
    }
  }
}
