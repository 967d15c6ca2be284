package io.github.vertxsaga.platform.outbox;

import io.github.vertxsaga.platform.db.Database;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One relay's claim to deliver its service's outbox: the service's lease row, taken when free or expired and renewed
 * every {@code leaseRenewMs} while held; a standby tries to take it as often. A takeover bumps the fencing token that
 * the relay's writes carry.
 *
 * <p>Whether the lease is still held is judged here by the JVM's monotonic clock, never by the database's expiry
 * compared with a wall clock: the lease counts as valid from the moment the last successful renewal was <em>sent</em>
 * (the database fixed the expiry later than that) until half a renew interval before the lease would expire (2.5 s
 * by default). A relay whose renewals stop (its database unreachable, its JVM paused) therefore stops delivering before
 * any other relay can take over, while a renewal slowed down by a busy database (it queues behind the service's own
 * work) still has 1.5 s to come back. A renewal that fails or finds the lease taken ends it at once.
 * Runs on the relay's event loop; the fields a test reads from its own thread are volatile.
 */
final class RelayLease {
  private static final Logger log = LoggerFactory.getLogger(OutboxRelay.class);

  private final Vertx vertx;
  private final Database database;
  private final String service;
  private final String holder = UUID.randomUUID().toString();
  private final long leaseMs;
  private final long renewMs;
  private final long validNanos;
  private final Runnable onActive;
  private volatile long token;
  private long validUntil;
  private boolean busy;
  private boolean stopped;
  private volatile boolean paused;
  private volatile long unrecorded;
  private long timer = -1;
  private Future<?> inFlight = Future.succeededFuture();

  RelayLease(Vertx vertx, Database database, String service, OutboxSettings settings, Runnable onActive) {
    this.vertx = vertx;
    this.database = database;
    this.service = service;
    this.leaseMs = settings.leaseMs();
    this.renewMs = settings.leaseRenewMs();
    // Half a renew interval short of the expiry, or less when the interval is close to the lease, so that the lease
    // always stays valid past the next renewal.
    this.validNanos = TimeUnit.MILLISECONDS.toNanos(leaseMs - Math.min(renewMs, leaseMs - renewMs) / 2);
    this.onActive = onActive;
  }

  void start() {
    timer = vertx.setPeriodic(renewMs, id -> tick());
    tick();
  }

  /** The token this relay may deliver under now, or 0 while it is not the valid holder. */
  long validToken() {
    if (token != 0 && System.nanoTime() - validUntil > 0) {
      lose("its last renewal was sent more than " + TimeUnit.NANOSECONDS.toMillis(validNanos) + " ms ago");
    }
    return token;
  }

  /** A pass under {@code stale} found the token moved on when it came to record: nothing it did was recorded. */
  void fenced(long stale, int deliveries) {
    unrecorded += deliveries;
    if (token == stale) {
      lose("taken over; " + deliveries + " deliveries not recorded, the new holder delivers them again");
    } else {
      log.info("outbox relay of {}: {} deliveries under lease token {} not recorded, since another relay took over;"
          + " it delivers them again", service, deliveries, stale);
    }
  }

  /** Stops trying, and lets the lease expire now if it is held, so that a standby takes over at its next attempt. */
  Future<Void> release() {
    stopped = true;
    vertx.cancelTimer(timer);
    // An acquisition still in flight may yet succeed: release what it takes.
    return inFlight.transform(ignored -> {
      if (token == 0) {
        return Future.succeededFuture();
      }
      long held = token;
      token = 0;
      return database.inTransaction(c -> LeaseStore.release(c, service, holder, held, leaseMs))
          .onSuccess(released -> log.info("outbox relay of {} stepped down (lease token {} {})", service, held,
              released ? "released" : "already taken over"))
          .onFailure(e -> log.warn("outbox relay of {} stepped down; its lease token {} was not released and expires "
              + "within {} ms: {}", service, held, leaseMs, e.toString()))
          .<Void>mapEmpty()
          .otherwiseEmpty();
    });
  }

  private void tick() {
    if (stopped || paused || busy) {
      return;
    }
    busy = true;
    long sent = System.nanoTime();
    inFlight = (token == 0 ? acquire(sent) : renew(token, sent)).onComplete(ignored -> busy = false);
  }

  private Future<?> acquire(long sent) {
    return database.inTransaction(c -> LeaseStore.acquire(c, service, holder, leaseMs))
        .onSuccess(taken -> taken.ifPresent(acquired -> {
          token = acquired;
          validUntil = sent + validNanos;
          log.info("outbox relay of {} is active on this node (lease token {})", service, acquired);
          if (!stopped) {
            onActive.run();
          }
        }))
        .onFailure(e -> log.debug("outbox relay of {} could not try to take its lease: {}", service, e.toString()));
  }

  private Future<?> renew(long held, long sent) {
    return database.inTransaction(c -> LeaseStore.renew(c, service, holder, held, leaseMs))
        .onSuccess(renewed -> {
          if (token != held) {
            return; // lost meanwhile
          }
          if (renewed) {
            validUntil = sent + validNanos;
          } else {
            lose("taken over by another relay");
          }
        })
        .onFailure(e -> {
          if (token == held) {
            lose("renewal failed: " + e);
          }
        });
  }

  private void lose(String reason) {
    log.warn("outbox relay of {} lost its lease (token {}): {}; standing by", service, token, reason);
    token = 0;
  }

  /** Test hook: renewals and attempts stop, as in a JVM that is frozen or cut off from its database. */
  void pause() {
    paused = true;
  }

  void resume() {
    paused = false;
  }

  /** The token held as last known, without judging it (0 while standing by): for tests. */
  long token() {
    return token;
  }

  String holder() {
    return holder;
  }

  /** Deliveries this relay made that it could not record, having lost its lease meanwhile. */
  long unrecorded() {
    return unrecorded;
  }
}
