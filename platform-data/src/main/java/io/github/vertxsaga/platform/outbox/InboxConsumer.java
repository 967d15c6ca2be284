package io.github.vertxsaga.platform.outbox;

import io.github.vertxsaga.events.EventEnvelope;
import io.github.vertxsaga.events.EventPayload;
import io.github.vertxsaga.events.EventType;
import io.github.vertxsaga.events.Payloads;
import io.github.vertxsaga.platform.tracing.W3cTraceContext;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An idempotent consumer: records {@code (consumer, event id)} in the inbox in the same transaction as the effect,
 * and acknowledges only after that commit. A redelivered event finds its id and is acknowledged without being
 * applied again. A failure is answered as a failure, so the relay retries it and in the end parks it.
 *
 * <p>Handling is a span whose parent is the envelope's {@code traceparent}, the delivery that brought it; the events
 * its transaction emits are written in that trace, so one order's saga is one trace across the services.
 */
public final class InboxConsumer extends VerticleBase {
  public static final String APPLIED = "applied";
  public static final String DUPLICATE = "duplicate";
  public static final String IGNORED = "ignored";

  private static final Logger events = LoggerFactory.getLogger("events");

  private final String consumerName;
  private final String address;
  private final TransactionalOutbox outbox;
  private final EventHandler handler;
  private final String haltAfterApply;
  private MessageConsumer<EventEnvelope> consumer;

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
    consumer = vertx.eventBus().consumer(address, this::handle);
    return consumer.completion();
  }

  @Override
  public Future<?> stop() {
    return consumer.unregister();
  }

  private void handle(Message<EventEnvelope> message) {
    EventEnvelope envelope = message.body();
    Span span = OutboxSpans.describe(outbox.tracer().spanBuilder("handle " + envelope.type()), envelope)
        .setSpanKind(SpanKind.CONSUMER)
        .setParent(new W3cTraceContext(envelope.traceparent(), envelope.tracestate()).asParent())
        .setAttribute(OutboxSpans.CONSUMER, consumerName)
        .startSpan();
    Optional<EventType> type = envelope.eventType();
    if (type.isEmpty()) {
      OutboxSpans.within(span, () ->
          events.info("handled {} outcome={} (unknown type for this version)", envelope.logLine(), IGNORED));
      end(span, IGNORED);
      message.reply(IGNORED);
      return;
    }
    EventPayload payload;
    try {
      payload = Payloads.read(type.get(), envelope.data());
    } catch (RuntimeException e) {
      // Thrown out of this handler it would leave the request unanswered: a time-out, which the relay never counts,
      // so the event would be retried forever instead of being parked.
      OutboxSpans.within(span, () ->
          events.error("refused {} by={}: unreadable payload: {}", envelope.logLine(), consumerName, e.toString()));
      span.setStatus(StatusCode.ERROR, "unreadable payload");
      end(span, "refused");
      message.fail(400, "unreadable payload: " + e);
      return;
    }
    Future<String> handled = inSpan(span, () -> outbox.inTransaction((connection, sink) -> {
      if (!OutboxStore.recordInbox(connection, consumerName, envelope, System.currentTimeMillis())) {
        return DUPLICATE;
      }
      handler.apply(envelope, payload, connection, sink);
      return APPLIED;
    }));
    handled.onComplete(ar -> {
      long lagMs = System.currentTimeMillis() - envelope.time().toEpochMilli();
      if (ar.succeeded()) {
        OutboxSpans.within(span, () -> events.info("handled {} by={} outcome={} lag_ms={}", envelope.logLine(),
            consumerName, ar.result(), lagMs));
        EventObservations.observe(vertx, consumerName, EventObservations.HANDLED, envelope, ar.result());
        end(span, ar.result());
        haltIfAsked(envelope);
        message.reply(ar.result());
      } else {
        OutboxSpans.within(span, () ->
            events.warn("failed {} by={}: {}", envelope.logLine(), consumerName, ar.cause().toString()));
        span.recordException(ar.cause());
        span.setStatus(StatusCode.ERROR, "transaction failed");
        end(span, "failed");
        EventObservations.observe(vertx, consumerName, EventObservations.FAILED, envelope, ar.cause().toString());
        message.fail(500, ar.cause().toString());
      }
    });
  }

  /** Starts the transaction with the handling span current, so the transaction's span (and its events) is its child. */
  private static <T> Future<T> inSpan(Span span, java.util.function.Supplier<Future<T>> start) {
    try (io.opentelemetry.context.Scope ignored = span.makeCurrent()) {
      return start.get();
    }
  }

  private static void end(Span span, String outcome) {
    span.setAttribute(OutboxSpans.OUTCOME, outcome);
    span.end();
  }

  private void haltIfAsked(EventEnvelope envelope) {
    if (!haltAfterApply.isEmpty() && haltAfterApply.equals(envelope.type())) {
      events.error("FAULT_HALT_AFTER_APPLY: halting after committing {} and before acknowledging it",
          envelope.logLine());
      Runtime.getRuntime().halt(137);
    }
  }
}
