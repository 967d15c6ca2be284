package io.github.vertxsaga.systemtests.tracing;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.util.HashMap;
import java.util.Map;

/**
 * One span as the trace tests read it, whether an in-memory exporter or an OTLP receiver collected it.
 *
 * @param parentSpanId the parent's span id, or null for a root span
 */
record TracedSpan(String traceId, String spanId, String parentSpanId, String name, String kind, String service,
                  Map<String, String> attributes) {

  static TracedSpan of(SpanData span) {
    Map<String, String> attributes = new HashMap<>();
    span.getAttributes().forEach((key, value) -> attributes.put(key.getKey(), String.valueOf(value)));
    String parent = span.getParentSpanContext().isValid() ? span.getParentSpanId() : null;
    return new TracedSpan(span.getTraceId(), span.getSpanId(), parent, span.getName(), span.getKind().name(),
        span.getResource().getAttribute(AttributeKey.stringKey("service.name")), Map.copyOf(attributes));
  }

  String attribute(String name) {
    return attributes.get(name);
  }

  @Override
  public String toString() {
    return String.format("%-28s %-9s %-18s span=%s parent=%s", name, kind, service, spanId,
        parentSpanId == null ? "none" : parentSpanId);
  }
}
