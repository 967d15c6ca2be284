package io.github.vertxsaga.platform.outbox;

import io.github.vertxsaga.events.Addresses;
import io.github.vertxsaga.events.EventBatch;
import io.github.vertxsaga.events.EventEnvelope;
import io.github.vertxsaga.events.EventOutcome;
import io.github.vertxsaga.platform.db.Database;
import io.github.vertxsaga.platform.tracing.NodeTracing;
import io.github.vertxsaga.platform.tracing.W3cTraceContext;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonObject;
import io.vertx.core.tracing.TracingPolicy;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Delivers committed outbox rows over the clustered event bus, at least once and in order per (destination, aggregate).
 *
 * <p>A row is marked delivered only after its consumer acknowledged it. Each pass reads every undelivered row from
 * the oldest, never "after the last id seen", so a transaction that commits late is still delivered.
 *
 * <p>One relay per service is active: the holder of the service's lease in its own database ({@link RelayLease}),
 * not of a Hazelcast lock. vertx-hazelcast's locks are plain map entries, so any process that joins the cluster could
 * take every service's lock and stop all delivery, and a partitioned cluster can grant one twice. The database is
 * the authority on the service's own data, partition or not: whoever cannot reach it cannot deliver anyway. Each
 * takeover bumps a fencing token, and a pass records its deliveries and failures only if its token is still the
 * current one, in the transaction that writes them. A relay that lost its lease mid-pass (frozen, then resumed) may
 * still send an event it had in hand, which the consumer's inbox absorbs, but it records nothing: the new holder
 * delivers those rows again. A standby takes over at most {@code OUTBOX_LEASE_MS + OUTBOX_LEASE_RENEW_MS} (4 s by
 * default) after the active relay died, and at its next attempt after the active relay stopped.
 *
 * <p>Rows go to each destination in batches ({@link EventBatch}, {@code OUTBOX_MESSAGE_EVENTS} at most per message),
 * one message at a time per destination; the consumer applies a batch in one transaction and answers per event, and
 * the pass marks every acknowledged row in one statement. An event that failed, or that the consumer skipped because
 * an earlier one of its aggregate failed, holds back the rest of its aggregate's stream and nothing else.
 *
 * <p>Each delivery attempt is a span, a child of the transaction that wrote the row (its context is in the row), and
 * the envelope sent carries that attempt's {@code traceparent}: the consumer's span is the attempt's child, and an
 * event delivered again is one more attempt in the same trace. Vert.x's own event-bus tracing is off for these
 * requests, so the envelope is the one carrier of the context.
 */
public final class OutboxRelay extends VerticleBase {
  private static final Logger log = LoggerFactory.getLogger(OutboxRelay.class);
  private static final Logger events = LoggerFactory.getLogger("events");

  private final Database database;
  private final String serviceName;
  private final OutboxSettings settings;
  private final OutboxMetrics metrics;
  private final Tracer tracer;
  private RelayLease lease;
  private boolean stopping;
  private boolean running;
  private boolean again;

  public OutboxRelay(Database database, String serviceName, OutboxSettings settings, OutboxMetrics metrics,
                     Tracer tracer) {
    this.database = database;
    this.serviceName = serviceName;
    this.settings = settings;
    this.metrics = metrics;
    this.tracer = tracer;
  }

  /** A relay whose deliveries make no spans (the outbox's own tests). */
  public OutboxRelay(Database database, String serviceName, OutboxSettings settings, OutboxMetrics metrics) {
    this(database, serviceName, settings, metrics, OpenTelemetry.noop().getTracer(NodeTracing.SCOPE));
  }

  @Override
  public Future<?> start() {
    lease = new RelayLease(vertx, database, serviceName, settings, this::pump);
    vertx.setPeriodic(settings.pollIntervalMs(), id -> pump());
    lease.start();
    return vertx.eventBus().consumer(Addresses.outboxWakeup(serviceName), message -> pump()).completion();
  }

  @Override
  public Future<?> stop() {
    stopping = true;
    return lease.release();
  }

  /** Runs one pass, or asks the running pass to go again; passes never overlap, and start only under a valid lease. */
  void pump() {
    if (stopping) {
      return;
    }
    long token = lease.validToken();
    if (token == 0) {
      return;
    }
    if (running) {
      again = true;
      return;
    }
    running = true;
    again = false;
    pass(token).onComplete(ar -> {
      running = false;
      if (ar.failed()) {
        log.warn("outbox relay pass failed, retrying on the next poll: {}", ar.cause().toString());
      } else if (again || ar.result()) {
        pump();
      }
    });
  }

  /** Delivers what is due; true when the read was full and more rows may be waiting. */
  private Future<Boolean> pass(long token) {
    long now = System.currentTimeMillis();
    return database.read(c -> OutboxStore.due(c, now, settings.batchSize()))
        .compose(rows -> {
          Map<String, List<OutboxRow>> byDestination = new LinkedHashMap<>();
          for (OutboxRow row : rows) {
            byDestination.computeIfAbsent(row.destination(), k -> new ArrayList<>()).add(row);
          }
          Outcome outcome = new Outcome();
          List<Future<Void>> deliveries = byDestination.entrySet().stream()
              .map(e -> deliverBatches(e.getKey(), e.getValue(), 0, new HashSet<>(), token, outcome)).toList();
          return Future.join(deliveries)
              .transform(ignored -> record(token, outcome))
              .map(v -> rows.size() == settings.batchSize() && !outcome.delivered.isEmpty());
        });
  }

  /**
   * Sends one destination's rows (in id order) in batches of up to {@code OUTBOX_MESSAGE_EVENTS}, one batch after the
   * other, so the events of an aggregate arrive in order across batches too. An aggregate with an event that was not
   * acknowledged sends nothing more in this pass; the others go on. Stops as soon as the lease is no longer known
   * valid (the rest waits for whoever holds it).
   */
  private Future<Void> deliverBatches(String destination, List<OutboxRow> rows, int from, Set<String> stopped,
                                      long token, Outcome outcome) {
    if (lease.validToken() != token) {
      return Future.succeededFuture();
    }
    List<Attempt> batch = new ArrayList<>();
    int next = from;
    while (next < rows.size() && batch.size() < settings.messageEvents()) {
      OutboxRow row = rows.get(next++);
      if (!stopped.contains(row.aggregateId())) {
        batch.add(attempt(row));
      }
    }
    if (batch.isEmpty()) {
      return Future.succeededFuture();
    }
    int after = next;
    return sendBatch(destination, batch, stopped, outcome)
        .compose(v -> deliverBatches(destination, rows, after, stopped, token, outcome));
  }

  /** One delivery attempt of a row: its span, and the envelope that carries that span's context. */
  private Attempt attempt(OutboxRow row) {
    EventEnvelope stored = EventEnvelope.fromJson(new JsonObject(row.envelope()));
    Span span = OutboxSpans.describe(tracer.spanBuilder("deliver " + row.destination()), stored)
        .setSpanKind(SpanKind.PRODUCER)
        .setParent(row.writtenIn().asParent())
        .setAttribute(OutboxSpans.DESTINATION, row.destination())
        .setAttribute(OutboxSpans.ATTEMPT, row.attempts() + 1L)
        .startSpan();
    W3cTraceContext sent = W3cTraceContext.of(span);
    return new Attempt(row, stored.withTraceContext(sent.traceparent(), sent.tracestate()), span);
  }

  /**
   * Sends a batch and settles each of its events from the consumer's answer for it. Where no consumer takes batches
   * (one of an earlier version, during a rolling upgrade), the events go one by one to the destination itself.
   */
  private Future<Void> sendBatch(String destination, List<Attempt> batch, Set<String> stopped, Outcome outcome) {
    EventBatch message = new EventBatch(batch.stream().map(Attempt::envelope).toList());
    return vertx.eventBus().request(Addresses.batchOf(destination), message, options())
        .<Void>map(reply -> {
          List<EventOutcome> outcomes = EventBatch.outcomes((JsonObject) reply.body());
          for (int i = 0; i < batch.size(); i++) {
            Attempt attempt = batch.get(i);
            EventOutcome answer = i < outcomes.size() && attempt.envelope.id().equals(outcomes.get(i).id())
                ? outcomes.get(i) : EventOutcome.of(attempt.envelope.id(), EventOutcome.SKIPPED);
            settle(attempt, answer, stopped, outcome);
          }
          return null;
        })
        .recover(failure -> {
          if (failure instanceof ReplyException reply && reply.failureType() == ReplyFailure.NO_HANDLERS) {
            return deliverOneByOne(destination, batch, stopped, outcome);
          }
          for (Attempt attempt : batch) {
            // The whole message failed: the first event of each aggregate takes the failure, the rest wait behind it.
            failed(attempt, failure, stopped.add(attempt.row.aggregateId()) ? outcome : null);
          }
          return Future.succeededFuture();
        });
  }

  /**
   * Acknowledged: delivered; failed: counted, and its aggregate stops; unavailable (the consumer's database could not
   * be reached): its aggregate stops and it goes again after the backoff, not counted; skipped: its aggregate stops,
   * nothing recorded.
   */
  private void settle(Attempt attempt, EventOutcome answer, Set<String> stopped, Outcome outcome) {
    if (answer.acknowledged()) {
      outcome.delivered.add(attempt.row.id());
      attempt.span.setAttribute(OutboxSpans.OUTCOME, answer.outcome());
      OutboxSpans.within(attempt.span, () -> events.debug("delivered {} to={} reply={}", attempt.envelope.logLine(),
          attempt.row.destination(), answer.outcome()));
      attempt.span.end();
      EventObservations.observe(vertx, serviceName, EventObservations.DELIVERED, attempt.envelope, answer.outcome());
    } else if (EventOutcome.FAILED.equals(answer.outcome())) {
      stopped.add(attempt.row.aggregateId());
      failed(attempt, new ReplyException(ReplyFailure.RECIPIENT_FAILURE, 500, answer.error()), outcome);
    } else if (EventOutcome.UNAVAILABLE.equals(answer.outcome())) {
      stopped.add(attempt.row.aggregateId());
      failed(attempt, new ReplyException(ReplyFailure.RECIPIENT_FAILURE, EventOutcome.UNAVAILABLE_CODE,
          "consumer's database unavailable: " + answer.error()), outcome);
    } else {
      stopped.add(attempt.row.aggregateId());
      attempt.span.setAttribute(OutboxSpans.OUTCOME, EventOutcome.SKIPPED);
      attempt.span.end();
    }
  }

  /** Ends the attempt's span as failed; records the failure when {@code outcome} is given. */
  private static void failed(Attempt attempt, Throwable failure, Outcome outcome) {
    attempt.span.recordException(failure);
    attempt.span.setStatus(StatusCode.ERROR, String.valueOf(failure.getMessage()));
    attempt.span.end();
    if (outcome != null) {
      outcome.failed.add(new Failed(attempt.row, attempt.envelope, failure, attempt.span));
    }
  }

  /** Single envelopes, as an earlier relay sent them: each aggregate's in order, the aggregates side by side. */
  private Future<Void> deliverOneByOne(String destination, List<Attempt> batch, Set<String> stopped,
                                       Outcome outcome) {
    Map<String, List<Attempt>> streams = new LinkedHashMap<>();
    batch.forEach(a -> streams.computeIfAbsent(a.row.aggregateId(), k -> new ArrayList<>()).add(a));
    return Future.join(streams.values().stream()
        .map(stream -> deliverInOrder(destination, stream, 0, stopped, outcome)).toList()).mapEmpty();
  }

  private Future<Void> deliverInOrder(String destination, List<Attempt> stream, int index, Set<String> stopped,
                                      Outcome outcome) {
    if (index == stream.size()) {
      return Future.succeededFuture();
    }
    Attempt attempt = stream.get(index);
    if (stopped.contains(attempt.row.aggregateId())) {
      settle(attempt, EventOutcome.of(attempt.envelope.id(), EventOutcome.SKIPPED), stopped, outcome);
      return deliverInOrder(destination, stream, index + 1, stopped, outcome);
    }
    return vertx.eventBus().request(destination, attempt.envelope, options())
        .transform(ar -> {
          if (ar.succeeded()) {
            settle(attempt, EventOutcome.of(attempt.envelope.id(), String.valueOf(ar.result().body())), stopped,
                outcome);
          } else {
            stopped.add(attempt.row.aggregateId());
            failed(attempt, ar.cause(), outcome);
          }
          return deliverInOrder(destination, stream, index + 1, stopped, outcome);
        });
  }

  private DeliveryOptions options() {
    return new DeliveryOptions().setSendTimeout(settings.ackTimeoutMs()).setTracingPolicy(TracingPolicy.IGNORE);
  }

  /**
   * Records the pass's outcome in one transaction that first locks the lease row under the pass's token, so a
   * takeover either waits for it or leaves it nothing to record.
   */
  private Future<Void> record(long token, Outcome outcome) {
    if (outcome.delivered.isEmpty() && outcome.failed.isEmpty()) {
      return Future.succeededFuture();
    }
    List<Runnable> reports = new ArrayList<>(outcome.failed.size());
    return database.inTransaction(c -> {
      if (!LeaseStore.hold(c, serviceName, token, settings.leaseMs())) {
        return false;
      }
      OutboxStore.markDelivered(c, outcome.delivered, serviceName, token);
      long now = System.currentTimeMillis();
      for (Failed failed : outcome.failed) {
        Runnable report = recordFailure(c, token, failed, now);
        reports.add(() -> OutboxSpans.within(failed.span, report));
      }
      return true;
    }).onSuccess(recorded -> {
      if (recorded) {
        metrics.delivered(outcome.delivered.size());
        reports.forEach(Runnable::run); // on the event loop, each in its attempt's span
      } else {
        lease.fenced(token, outcome.delivered.size() + outcome.failed.size());
      }
    }).mapEmpty();
  }

  /**
   * A consumer that answered with a failure counts towards parking the event; a consumer that is down or slow
   * (no handler, timeout) or whose database is (it answers {@code unavailable}) does not, so events wait for a stopped
   * service or database instead of being dead-lettered. Returns the log line to write once this is committed.
   */
  private Runnable recordFailure(java.sql.Connection c, long token, Failed failed, long now)
      throws java.sql.SQLException {
    OutboxRow row = failed.row;
    boolean consumerFailed = failed.cause instanceof ReplyException reply
        && reply.failureType() == ReplyFailure.RECIPIENT_FAILURE
        && reply.failureCode() != EventOutcome.UNAVAILABLE_CODE;
    int attempts = row.attempts() + 1;
    int failures = row.failures() + (consumerFailed ? 1 : 0);
    String error = failed.cause.getMessage() == null ? failed.cause.toString() : failed.cause.getMessage();
    if (failures >= settings.maxFailures()) {
      OutboxStore.markFailed(c, serviceName, token, row.id(), attempts, failures, now, now, error);
      metrics.deadLettered();
      return () -> {
        events.error("dead-lettered {} to={} after {} failures: {}", failed.envelope.logLine(),
            row.destination(), failures, error);
        EventObservations.observe(vertx, serviceName, EventObservations.DEAD_LETTERED, failed.envelope, error);
      };
    }
    long delay = backoff(attempts);
    OutboxStore.markFailed(c, serviceName, token, row.id(), attempts, failures, now + delay, null, error);
    return () -> events.warn("delivery failed {} to={} attempt={} retry_in={}ms: {}", failed.envelope.logLine(),
        row.destination(), attempts, delay, error);
  }

  /** Exponential backoff with jitter, so a recovering consumer is not hit by every relay at once. */
  long backoff(int attempts) {
    long ceiling = Math.min(settings.backoffMaxMs(), settings.backoffBaseMs() << Math.min(attempts - 1, 20));
    return ceiling / 2 + ThreadLocalRandom.current().nextLong(ceiling / 2 + 1);
  }

  /** The lease, for tests; null before the start. */
  RelayLease lease() {
    return lease;
  }

  private record Failed(OutboxRow row, EventEnvelope envelope, Throwable cause, Span span) {
  }

  private record Attempt(OutboxRow row, EventEnvelope envelope, Span span) {
  }

  /** Collected on the event loop only. */
  private static final class Outcome {
    final List<Long> delivered = new ArrayList<>();
    final List<Failed> failed = new ArrayList<>();
  }
}
