package io.github.vertxsaga.platform.outbox;

import io.github.vertxsaga.events.EventEnvelope;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanBuilder;
import io.opentelemetry.context.Scope;

/**
 * The attributes of the outbox's spans (OpenTelemetry's CloudEvents and messaging conventions where they have a name)
 * and the one way they are made current: only around a synchronous call, never across a callback, so no span of
 * this project is left current on a Vert.x context it does not own.
 */
final class OutboxSpans {
  static final AttributeKey<String> EVENT_ID = AttributeKey.stringKey("cloudevents.event_id");
  static final AttributeKey<String> EVENT_TYPE = AttributeKey.stringKey("cloudevents.event_type");
  static final AttributeKey<String> EVENT_SUBJECT = AttributeKey.stringKey("cloudevents.event_subject");
  static final AttributeKey<String> DESTINATION = AttributeKey.stringKey("messaging.destination.name");
  static final AttributeKey<String> SYSTEM = AttributeKey.stringKey("messaging.system");
  static final AttributeKey<Long> ATTEMPT = AttributeKey.longKey("outbox.attempt");
  static final AttributeKey<String> OUTCOME = AttributeKey.stringKey("outbox.outcome");
  static final AttributeKey<String> CONSUMER = AttributeKey.stringKey("outbox.consumer");
  static final AttributeKey<Long> EVENTS = AttributeKey.longKey("outbox.events");
  static final AttributeKey<String> SERVICE = AttributeKey.stringKey("outbox.service");
  static final String EVENT_BUS = "vertx-eventbus";

  private OutboxSpans() {
  }

  static SpanBuilder describe(SpanBuilder span, EventEnvelope envelope) {
    return span.setAttribute(EVENT_ID, envelope.id()).setAttribute(EVENT_TYPE, envelope.type())
        .setAttribute(EVENT_SUBJECT, envelope.subject()).setAttribute(SYSTEM, EVENT_BUS);
  }

  /** Runs {@code action} (a log line, a call that starts child spans) with {@code span} current. */
  static void within(Span span, Runnable action) {
    try (Scope ignored = span.makeCurrent()) {
      action.run();
    }
  }

  /** Runs {@code action} with {@code span} current and returns what it returns. */
  static <T> T returning(Span span, java.util.function.Supplier<T> action) {
    try (Scope ignored = span.makeCurrent()) {
      return action.get();
    }
  }
}
