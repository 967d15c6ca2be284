package io.github.vertxsaga.platform.tracing;

import ch.qos.logback.classic.pattern.ClassicConverter;
import ch.qos.logback.classic.spi.ILoggingEvent;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;

/**
 * {@code %traceIds} in a logback pattern: {@code trace_id=... span_id=...} of the span current where the line is
 * logged (a request's, an event's), nothing outside any. On a Vert.x thread the current span is the one kept in the
 * Vert.x context (vertx-opentelemetry's context storage), so the ids follow a request across its callbacks.
 */
public final class TraceIdsConverter extends ClassicConverter {
  @Override
  public String convert(ILoggingEvent event) {
    SpanContext span = Span.current().getSpanContext();
    return span.isValid() ? " trace_id=" + span.getTraceId() + " span_id=" + span.getSpanId() : "";
  }
}
