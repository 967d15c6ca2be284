package io.github.vertxsaga.platform.tracing;

import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapGetter;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A span's context as W3C Trace Context text, the form it takes where no OpenTelemetry object can go: an outbox row,
 * the CloudEvents distributed-tracing attributes of an envelope.
 *
 * @param traceparent {@code 00-<trace id>-<span id>-<flags>}; null when there is no valid span
 * @param tracestate  vendors' entries, or null
 */
public record W3cTraceContext(String traceparent, String tracestate) {
  public static final W3cTraceContext NONE = new W3cTraceContext(null, null);

  private static final W3CTraceContextPropagator W3C = W3CTraceContextPropagator.getInstance();
  private static final TextMapGetter<W3cTraceContext> GETTER = new TextMapGetter<>() {
    @Override
    public Iterable<String> keys(W3cTraceContext carrier) {
      return List.of("traceparent", "tracestate");
    }

    @Override
    public String get(W3cTraceContext carrier, String key) {
      return carrier == null ? null : "traceparent".equals(key) ? carrier.traceparent
          : "tracestate".equals(key) ? carrier.tracestate : null;
    }
  };

  /** The context of {@code span}. */
  public static W3cTraceContext of(Span span) {
    if (!span.getSpanContext().isValid()) {
      return NONE;
    }
    Map<String, String> fields = new HashMap<>(2);
    W3C.inject(Context.root().with(span), fields, Map::put);
    return new W3cTraceContext(fields.get("traceparent"), fields.get("tracestate"));
  }

  /** The remote parent it names, or the root context when it names none (or a malformed one). */
  public Context asParent() {
    return traceparent == null ? Context.root() : W3C.extract(Context.root(), this, GETTER);
  }
}
