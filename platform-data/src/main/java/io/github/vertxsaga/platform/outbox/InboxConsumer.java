package io.github.vertxsaga.platform.outbox;

import io.github.vertxsaga.events.Addresses;
import io.github.vertxsaga.events.EventBatch;
import io.github.vertxsaga.events.EventEnvelope;
import io.github.vertxsaga.events.EventOutcome;
import io.github.vertxsaga.events.EventPayload;
import io.github.vertxsaga.events.EventType;
import io.github.vertxsaga.events.Payloads;
import io.github.vertxsaga.platform.http.Problems;
import io.github.vertxsaga.platform.tracing.W3cTraceContext;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An idempotent consumer: records {@code (consumer, event id)} in the inbox in the same transaction as the effect,
 * and acknowledges only after that commit. A redelivered event finds its id and is acknowledged without being
 * applied again. A failure is answered as a failure, so the relay retries it and in the end parks it.
 *
 * <p>It takes a batch of events ({@link EventBatch}, on {@link Addresses#batchOf} its address) in one transaction:
 * the inbox rows in one statement, then each event's effect in the batch's order; it answers per event. When an
 * event's handler throws, the transaction rolls back, that event alone is answered failed (the relay counts it and in
 * the end parks it), the later events of its order are answered skipped to keep their order, and the others are
 * applied again in one transaction; when the transaction fails where no handler was running (the inbox insert, the
 * commit), the events are applied one per transaction. That is chosen over a savepoint per event because a
 * savepoint costs two more statements for every event of every batch, while the replay costs only when an event
 * fails, and because the events a rolled-back handler emitted would otherwise have to be taken back out of the
 * transaction by hand. When the database cannot be reached (a pool time-out, a connection that broke), nothing is
 * replayed: every event not yet answered is answered {@code unavailable} at once, which the relay does not count
 * towards parking and sends again after its backoff, instead of each event of the batch waiting out the pool in turn
 * long after the relay gave up on the answer. A transaction that lost to a concurrent one (a deadlock victim, a
 * serialization failure, a lock wait timed out) blames no event either: the batch is applied one per transaction, and
 * an event that loses even alone is answered {@code unavailable} too. Single envelopes on the address itself, what a
 * relay of an earlier version sends, are handled as batches of one.
 *
 * <p>Handling is a span whose parent is the envelope's {@code traceparent}, the delivery that brought it; the events
 * its transaction emits are written in that trace, so one order's saga is one trace across the services, batch or not.
 */
public final class InboxConsumer extends VerticleBase {
  public static final String APPLIED = EventOutcome.APPLIED;
  public static final String DUPLICATE = EventOutcome.DUPLICATE;
  public static final String IGNORED = EventOutcome.IGNORED;
  private static final String DATABASE_UNAVAILABLE = "database unavailable";
  private static final String TRANSACTION_CONFLICT = "transaction conflict";

  private static final Logger log = LoggerFactory.getLogger(InboxConsumer.class);
  private static final Logger events = LoggerFactory.getLogger("events");

  private final String consumerName;
  private final String address;
  private final TransactionalOutbox outbox;
  private final EventHandler handler;
  private final String haltAfterApply;
  private MessageConsumer<EventEnvelope> singles;
  private MessageConsumer<EventBatch> batches;

  /**
   * @param haltAfterApply test-only fault switch: an event type after whose commit the JVM halts before acknowledging
   *                       (empty to disable)
   */
  public InboxConsumer(String consumerName, String address, TransactionalOutbox outbox, EventHandler handler,
                       String haltAfterApply) {
    this.consumerName = consumerName;
    this.address = address;
    this.outbox = outbox;
    this.handler = handler;
    this.haltAfterApply = haltAfterApply;
  }

  @Override
  public Future<?> start() {
    singles = vertx.eventBus().consumer(address, this::handleOne);
    batches = vertx.eventBus().consumer(Addresses.batchOf(address), this::handleBatch);
    return Future.all(singles.completion(), batches.completion());
  }

  @Override
  public Future<?> stop() {
    return Future.join(singles.unregister(), batches.unregister());
  }

  private void handleOne(Message<EventEnvelope> message) {
    handle(List.of(message.body())).onSuccess(handled -> {
      Event event = handled.get(0);
      if (event.outcome.acknowledged()) {
        message.reply(event.outcome.outcome());
      } else {
        message.fail(event.failureCode, event.outcome.error());
      }
    });
  }

  private void handleBatch(Message<EventBatch> message) {
    handle(message.body().events())
        .onSuccess(handled -> message.reply(EventBatch.reply(handled.stream().map(e -> e.outcome).toList())));
  }

  /** Handles the events in order; never fails: each event's outcome says what became of it. */
  private Future<List<Event>> handle(List<EventEnvelope> envelopes) {
    List<Event> all = new ArrayList<>(envelopes.size());
    List<Event> readable = new ArrayList<>(envelopes.size());
    Set<String> stopped = new HashSet<>();
    for (EventEnvelope envelope : envelopes) {
      Event event = new Event(envelope, startSpan(envelope));
      all.add(event);
      Optional<EventType> type = envelope.eventType();
      if (type.isEmpty()) {
        OutboxSpans.within(event.span, () ->
            events.info("handled {} outcome={} (unknown type for this version)", envelope.logLine(), IGNORED));
        event.end(EventOutcome.of(envelope.id(), IGNORED));
      } else if (stopped.contains(envelope.subject())) {
        skip(event);
      } else {
        try {
          event.payload = Payloads.read(type.get(), envelope.data());
          readable.add(event);
        } catch (RuntimeException e) {
          // Answered as a failure, not thrown: an unanswered request is a time-out, which the relay never counts, so
          // the event would be retried forever instead of being parked.
          OutboxSpans.within(event.span, () ->
              events.error("refused {} by={}: unreadable payload: {}", envelope.logLine(), consumerName, e.toString()));
          event.span.setStatus(StatusCode.ERROR, "unreadable payload");
          event.failureCode = 400;
          event.end(EventOutcome.failed(envelope.id(), "unreadable payload: " + e));
          stopped.add(envelope.subject());
        }
      }
    }
    return applyTogether(readable, stopped).map(v -> {
      haltIfAsked(all);
      return all;
    });
  }

  /**
   * One transaction: every inbox row in one statement, then each new event's effect, in order. When an event's
   * handler throws, that event alone is refused, the later events of its order are skipped, and the rest is applied
   * again together; when the transaction fails elsewhere (its commit, the inbox insert), the events are applied one
   * by one.
   */
  private Future<Void> applyTogether(List<Event> batch, Set<String> stopped) {
    if (batch.isEmpty()) {
      return Future.succeededFuture();
    }
    List<EventEnvelope> envelopes = batch.stream().map(e -> e.envelope).toList();
    int[] applying = {-1}; // the event whose handler was running when the transaction failed, if one was
    return outbox.inTransaction(batch.stream().map(e -> e.span).toList(), (connection, sinks) -> {
      boolean[] fresh = OutboxStore.recordInbox(connection, consumerName, envelopes, System.currentTimeMillis());
      List<String> outcomes = new ArrayList<>(batch.size());
      for (int i = 0; i < batch.size(); i++) {
        if (fresh[i]) {
          applying[0] = i;
          handler.apply(batch.get(i).envelope, batch.get(i).payload, connection, sinks.get(i));
        }
        outcomes.add(fresh[i] ? APPLIED : DUPLICATE);
      }
      applying[0] = -1;
      return outcomes;
    }).<Void>map(outcomes -> {
      for (int i = 0; i < batch.size(); i++) {
        handled(batch.get(i), outcomes.get(i));
      }
      return null;
    }).recover(failure -> {
      if (Problems.isDatabaseUnavailable(failure)) {
        batch.forEach(event -> unavailable(event, DATABASE_UNAVAILABLE, failure));
        return Future.succeededFuture();
      }
      int culprit = applying[0];
      // A batch holds the rows of several orders and can deadlock with another instance's batch: the event whose
      // handler was running then is no culprit, and each event gets a short transaction of its own.
      if (culprit < 0 || Problems.isTransactionConflict(failure)) {
        log.warn("a batch of {} events failed as one transaction in {}, applying them one by one: {}",
            batch.size(), consumerName, failure.toString());
        return applyOneByOne(batch, 0, stopped);
      }
      Event refused = batch.get(culprit);
      failed(refused, failure);
      stopped.add(refused.envelope.subject());
      List<Event> rest = new ArrayList<>(batch.size() - 1);
      for (int i = 0; i < batch.size(); i++) {
        Event event = batch.get(i);
        if (i > culprit && stopped.contains(event.envelope.subject())) {
          skip(event);
        } else if (i != culprit) {
          rest.add(event);
        }
      }
      return applyTogether(rest, stopped);
    });
  }

  /** One transaction per event, so only a failing one fails; the later events of its order are skipped. */
  private Future<Void> applyOneByOne(List<Event> batch, int index, Set<String> stopped) {
    if (index == batch.size()) {
      return Future.succeededFuture();
    }
    Event event = batch.get(index);
    if (stopped.contains(event.envelope.subject())) {
      skip(event);
      return applyOneByOne(batch, index + 1, stopped);
    }
    return outbox.inTransaction(List.of(event.span), (connection, sinks) -> {
      if (!OutboxStore.recordInbox(connection, consumerName, event.envelope, System.currentTimeMillis())) {
        return DUPLICATE;
      }
      handler.apply(event.envelope, event.payload, connection, sinks.get(0));
      return APPLIED;
    }).transform(ar -> {
      if (ar.succeeded()) {
        handled(event, ar.result());
      } else if (Problems.isDatabaseUnavailable(ar.cause())) {
        // The rest is not tried: each would wait out the pool in turn. Events of an order stopped earlier in the
        // batch stay skipped, as they would have been.
        for (Event rest : batch.subList(index, batch.size())) {
          if (stopped.contains(rest.envelope.subject())) {
            skip(rest);
          } else {
            unavailable(rest, DATABASE_UNAVAILABLE, ar.cause());
          }
        }
        return Future.succeededFuture();
      } else if (Problems.isTransactionConflict(ar.cause())) {
        // Lost to a concurrent transaction even alone: sent again, not counted; its order's later events wait for it.
        unavailable(event, TRANSACTION_CONFLICT, ar.cause());
        stopped.add(event.envelope.subject());
      } else {
        failed(event, ar.cause());
        stopped.add(event.envelope.subject());
      }
      return applyOneByOne(batch, index + 1, stopped);
    });
  }

  private Span startSpan(EventEnvelope envelope) {
    return OutboxSpans.describe(outbox.tracer().spanBuilder("handle " + envelope.type()), envelope)
        .setSpanKind(SpanKind.CONSUMER)
        .setParent(new W3cTraceContext(envelope.traceparent(), envelope.tracestate()).asParent())
        .setAttribute(OutboxSpans.CONSUMER, consumerName)
        .startSpan();
  }

  private void handled(Event event, String outcome) {
    EventEnvelope envelope = event.envelope;
    long lagMs = System.currentTimeMillis() - envelope.time().toEpochMilli();
    OutboxSpans.within(event.span, () -> events.info("handled {} by={} outcome={} lag_ms={}", envelope.logLine(),
        consumerName, outcome, lagMs));
    EventObservations.observe(vertx, consumerName, EventObservations.HANDLED, envelope, outcome);
    event.end(EventOutcome.of(envelope.id(), outcome));
  }

  private void failed(Event event, Throwable cause) {
    EventEnvelope envelope = event.envelope;
    OutboxSpans.within(event.span, () ->
        events.warn("failed {} by={}: {}", envelope.logLine(), consumerName, cause.toString()));
    event.span.recordException(cause);
    event.span.setStatus(StatusCode.ERROR, "transaction failed");
    EventObservations.observe(vertx, consumerName, EventObservations.FAILED, envelope, cause.toString());
    event.failureCode = 500;
    event.end(EventOutcome.failed(envelope.id(), cause.toString()));
  }

  /**
   * Not applied, not refused: the database could not be reached, or the transaction lost to a concurrent one; the
   * relay sends it again and does not count it.
   */
  private void unavailable(Event event, String reason, Throwable cause) {
    EventEnvelope envelope = event.envelope;
    OutboxSpans.within(event.span, () -> events.warn("not handled {} by={}: {}, to be sent again: {}",
        envelope.logLine(), consumerName, reason, cause.toString()));
    event.span.recordException(cause);
    event.span.setStatus(StatusCode.ERROR, reason);
    EventObservations.observe(vertx, consumerName, EventObservations.FAILED, envelope, reason + ": " + cause);
    event.failureCode = EventOutcome.UNAVAILABLE_CODE;
    event.end(EventOutcome.unavailable(envelope.id(), reason + ": " + cause));
  }

  /** Not applied, not refused: an earlier event of its order failed, and it must wait for that one. */
  private void skip(Event event) {
    OutboxSpans.within(event.span, () -> events.info("skipped {} by={}: an earlier event of its order failed",
        event.envelope.logLine(), consumerName));
    event.end(EventOutcome.of(event.envelope.id(), EventOutcome.SKIPPED));
  }

  private void haltIfAsked(List<Event> handled) {
    if (haltAfterApply.isEmpty()) {
      return;
    }
    for (Event event : handled) {
      if (haltAfterApply.equals(event.envelope.type()) && event.outcome.acknowledged()) {
        events.error("FAULT_HALT_AFTER_APPLY: halting after committing {} and before acknowledging it",
            event.envelope.logLine());
        Runtime.getRuntime().halt(137);
      }
    }
  }

  /** One event of a batch as it is handled, on the event loop only. */
  private static final class Event {
    final EventEnvelope envelope;
    final Span span;
    EventPayload payload;
    EventOutcome outcome;
    int failureCode;

    Event(EventEnvelope envelope, Span span) {
      this.envelope = envelope;
      this.span = span;
    }

    void end(EventOutcome result) {
      outcome = result;
      span.setAttribute(OutboxSpans.OUTCOME, EventOutcome.FAILED.equals(result.outcome()) && failureCode == 400
          ? "refused" : result.outcome());
      span.end();
    }
  }
}
