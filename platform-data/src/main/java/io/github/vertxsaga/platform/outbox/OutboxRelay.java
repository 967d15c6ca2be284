package io.github.vertxsaga.platform.outbox;

import io.github.vertxsaga.events.Addresses;
import io.github.vertxsaga.events.EventEnvelope;
import io.github.vertxsaga.platform.db.Database;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonObject;
import io.vertx.core.shareddata.Lock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Delivers committed outbox rows over the clustered event bus, at least once and in order per (destination, order).
 *
 * <p>A row is marked delivered only after its consumer acknowledged it. Each pass reads every undelivered row from
 * the oldest, never "after the last id seen", so a transaction that commits late is still delivered. One relay per
 * service database is normally active, elected through a cluster lock that Hazelcast frees when its holder dies; the
 * lock is an optimisation only, since a second relay (during a split brain) causes duplicates the inboxes absorb.
 */
public final class OutboxRelay extends VerticleBase {
  private static final Logger log = LoggerFactory.getLogger(OutboxRelay.class);
  private static final Logger events = LoggerFactory.getLogger("events");
  private static final long LEADERSHIP_RETRY_MS = 1_000;

  private final Database database;
  private final String serviceName;
  private final OutboxSettings settings;
  private final OutboxMetrics metrics;
  private Lock leadership;
  private boolean stopping;
  private boolean running;
  private boolean again;

  public OutboxRelay(Database database, String serviceName, OutboxSettings settings, OutboxMetrics metrics) {
    this.database = database;
    this.serviceName = serviceName;
    this.settings = settings;
    this.metrics = metrics;
  }

  @Override
  public Future<?> start() {
    vertx.setPeriodic(settings.pollIntervalMs(), id -> pump());
    tryToLead();
    return vertx.eventBus().consumer(Addresses.outboxWakeup(serviceName), message -> pump()).completion();
  }

  @Override
  public Future<?> stop() {
    stopping = true;
    if (leadership != null) {
      leadership.release();
      log.info("outbox relay of {} stepped down", serviceName);
    }
    return Future.succeededFuture();
  }

  private void tryToLead() {
    if (stopping) {
      return;
    }
    vertx.sharedData().getLockWithTimeout("outbox-relay." + serviceName, LEADERSHIP_RETRY_MS)
        .onSuccess(lock -> {
          if (stopping) {
            lock.release();
            return;
          }
          leadership = lock;
          log.info("outbox relay of {} is active on this node", serviceName);
          pump();
        })
        .onFailure(e -> vertx.setTimer(LEADERSHIP_RETRY_MS, id -> tryToLead()));
  }

  /** Runs one pass, or asks the running pass to go again; passes never overlap. */
  void pump() {
    if (leadership == null || stopping) {
      return;
    }
    if (running) {
      again = true;
      return;
    }
    running = true;
    again = false;
    pass().onComplete(ar -> {
      running = false;
      if (ar.failed()) {
        log.warn("outbox relay pass failed, retrying on the next poll: {}", ar.cause().toString());
      } else if (again || ar.result()) {
        pump();
      }
    });
  }

  /** Delivers what is due; true when the batch was full and more rows may be waiting. */
  private Future<Boolean> pass() {
    long now = System.currentTimeMillis();
    return database.read(c -> OutboxStore.due(c, now, settings.batchSize()))
        .compose(rows -> {
          Map<String, List<OutboxRow>> streams = new LinkedHashMap<>();
          for (OutboxRow row : rows) {
            streams.computeIfAbsent(OutboxStore.streamKey(row.destination(), row.aggregateId()), k -> new ArrayList<>())
                .add(row);
          }
          Outcome outcome = new Outcome();
          List<Future<Void>> deliveries = streams.values().stream().map(stream -> deliverInOrder(stream, 0, outcome)).toList();
          return Future.join(deliveries)
              .transform(ignored -> record(outcome))
              .map(v -> rows.size() == settings.batchSize() && !outcome.delivered.isEmpty());
        });
  }

  /** Delivers one stream's rows one after another; stops at the first failure to keep the order. */
  private Future<Void> deliverInOrder(List<OutboxRow> rows, int index, Outcome outcome) {
    if (index == rows.size()) {
      return Future.succeededFuture();
    }
    OutboxRow row = rows.get(index);
    EventEnvelope envelope = EventEnvelope.fromJson(new JsonObject(row.envelope()));
    DeliveryOptions options = new DeliveryOptions().setSendTimeout(settings.ackTimeoutMs());
    return vertx.eventBus().request(row.destination(), envelope, options)
        .compose(reply -> {
          outcome.delivered.add(row.id());
          events.debug("delivered {} to={} reply={}", envelope.logLine(), row.destination(), reply.body());
          return deliverInOrder(rows, index + 1, outcome);
        }, failure -> {
          outcome.failed.add(new Failed(row, envelope, failure));
          return Future.succeededFuture();
        });
  }

  private Future<Void> record(Outcome outcome) {
    if (outcome.delivered.isEmpty() && outcome.failed.isEmpty()) {
      return Future.succeededFuture();
    }
    return database.inTransaction(c -> {
      long now = System.currentTimeMillis();
      if (!outcome.delivered.isEmpty()) {
        OutboxStore.markDelivered(c, outcome.delivered, now);
      }
      for (Failed failed : outcome.failed) {
        recordFailure(c, failed, now);
      }
      return null;
    }).onSuccess(v -> metrics.delivered(outcome.delivered.size())).mapEmpty();
  }

  /**
   * A consumer that answered with a failure counts towards parking the event; a consumer that is down or slow
   * (no handler, timeout) does not, so events wait for a stopped service instead of being dead-lettered.
   */
  private void recordFailure(java.sql.Connection c, Failed failed, long now) throws java.sql.SQLException {
    OutboxRow row = failed.row;
    boolean consumerFailed = failed.cause instanceof ReplyException reply
        && reply.failureType() == ReplyFailure.RECIPIENT_FAILURE;
    int attempts = row.attempts() + 1;
    int failures = row.failures() + (consumerFailed ? 1 : 0);
    String error = failed.cause.getMessage() == null ? failed.cause.toString() : failed.cause.getMessage();
    if (failures >= settings.maxFailures()) {
      OutboxStore.markFailed(c, row.id(), attempts, failures, now, now, error);
      metrics.deadLettered();
      events.error("dead-lettered {} to={} after {} failures: {}", failed.envelope.logLine(), row.destination(),
          failures, error);
      return;
    }
    long delay = backoff(attempts);
    OutboxStore.markFailed(c, row.id(), attempts, failures, now + delay, null, error);
    events.warn("delivery failed {} to={} attempt={} retry_in={}ms: {}", failed.envelope.logLine(), row.destination(),
        attempts, delay, error);
  }

  /** Exponential backoff with jitter, so a recovering consumer is not hit by every relay at once. */
  long backoff(int attempts) {
    long ceiling = Math.min(settings.backoffMaxMs(), settings.backoffBaseMs() << Math.min(attempts - 1, 20));
    return ceiling / 2 + ThreadLocalRandom.current().nextLong(ceiling / 2 + 1);
  }

  private record Failed(OutboxRow row, EventEnvelope envelope, Throwable cause) {
  }

  /** Collected on the event loop only. */
  private static final class Outcome {
    final List<Long> delivered = new ArrayList<>();
    final List<Failed> failed = new ArrayList<>();
  }
}
