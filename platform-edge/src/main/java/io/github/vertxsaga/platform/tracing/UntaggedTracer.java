package io.github.vertxsaga.platform.tracing;

import io.vertx.core.Context;
import io.vertx.core.spi.tracing.SpanKind;
import io.vertx.core.spi.tracing.TagExtractor;
import io.vertx.core.spi.tracing.VertxTracer;
import io.vertx.core.tracing.TracingPolicy;
import java.util.Map;
import java.util.function.BiConsumer;

/**
 * vertx-opentelemetry's tracer without the span attributes, for a node that records nothing: it reads every
 * request's method, URL, address and status into attributes before a span starts, which a span that is not recorded
 * throws away. The context (ids, propagation) is the same.
 */
@SuppressWarnings({"rawtypes", "unchecked"})
final class UntaggedTracer implements VertxTracer<Object, Object> {
  private final VertxTracer delegate;

  UntaggedTracer(VertxTracer<?, ?> delegate) {
    this.delegate = delegate;
  }

  @Override
  public <R> Object receiveRequest(Context context, SpanKind kind, TracingPolicy policy, R request, String operation,
                                   Iterable<Map.Entry<String, String>> headers, TagExtractor<R> tagExtractor) {
    return delegate.receiveRequest(context, kind, policy, request, operation, headers, TagExtractor.empty());
  }

  @Override
  public <R> void sendResponse(Context context, R response, Object payload, Throwable failure,
                               TagExtractor<R> tagExtractor) {
    delegate.sendResponse(context, response, payload, failure, TagExtractor.empty());
  }

  @Override
  public <R> Object sendRequest(Context context, SpanKind kind, TracingPolicy policy, R request, String operation,
                                BiConsumer<String, String> headers, TagExtractor<R> tagExtractor) {
    return delegate.sendRequest(context, kind, policy, request, operation, headers, TagExtractor.empty());
  }

  @Override
  public <R> void receiveResponse(Context context, R response, Object payload, Throwable failure,
                                  TagExtractor<R> tagExtractor) {
    delegate.receiveResponse(context, response, payload, failure, TagExtractor.empty());
  }

  @Override
  public void close() {
    delegate.close();
  }
}
