package io.github.vertxsaga.platform.tracing;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.propagation.ContextPropagators;
import io.opentelemetry.exporter.otlp.http.trace.OtlpHttpSpanExporter;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.ReadWriteSpan;
import io.opentelemetry.sdk.trace.ReadableSpan;
import io.opentelemetry.sdk.trace.SdkTracerProviderBuilder;
import io.opentelemetry.sdk.trace.SpanProcessor;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import io.opentelemetry.sdk.trace.samplers.Sampler;
import io.vertx.core.spi.VertxTracerFactory;
import io.vertx.tracing.opentelemetry.OpenTelemetryTracingFactory;
import java.time.Duration;
import java.util.Collection;
import java.util.concurrent.TimeUnit;

/**
 * A node's OpenTelemetry SDK, given to its Vert.x (HTTP server and client spans, W3C {@code traceparent} in and out)
 * and to the code that makes spans of its own (the outbox). One per node, not the global one: the tests run several
 * nodes in one JVM, each with its own {@code service.name}.
 *
 * <p>Without an endpoint the sampler records nothing and there is no exporter: spans are not kept, but they still
 * get ids, so the trace context still reaches the next hop and the log lines.
 */
public final class NodeTracing implements AutoCloseable {
  /** The instrumentation scope of the spans this project makes itself. */
  public static final String SCOPE = "io.github.vertxsaga";
  private static final AttributeKey<String> SERVICE_NAME = AttributeKey.stringKey("service.name");
  /**
   * The processor of a node that records nothing, never called (no span is recorded). The SDK needs one: without
   * any it hands out no-op tracers, whose spans have no ids, so nothing would propagate and no log line have ids.
   */
  private static final SpanProcessor NOTHING = new SpanProcessor() {
    @Override
    public void onStart(io.opentelemetry.context.Context parent, ReadWriteSpan span) {
    }

    @Override
    public boolean isStartRequired() {
      return false;
    }

    @Override
    public void onEnd(ReadableSpan span) {
    }

    @Override
    public boolean isEndRequired() {
      return false;
    }
  };

  private final OpenTelemetrySdk sdk;
  private final Tracer tracer;
  private final boolean recording;

  private NodeTracing(OpenTelemetrySdk sdk, boolean recording) {
    this.sdk = sdk;
    this.tracer = sdk.getTracer(SCOPE);
    this.recording = recording;
  }

  public static NodeTracing start(TracingSettings settings) {
    SdkTracerProviderBuilder provider = SdkTracerProvider.builder()
        .setResource(Resource.getDefault().merge(Resource.create(Attributes.of(SERVICE_NAME, settings.serviceName()))));
    if (settings.exporter() != null) {
      provider.addSpanProcessor(SimpleSpanProcessor.create(new Borrowed(settings.exporter())));
    } else if (settings.otlpEndpoint() != null) {
      provider.addSpanProcessor(BatchSpanProcessor.builder(OtlpHttpSpanExporter.builder()
              .setEndpoint(settings.otlpEndpoint() + "/v1/traces").build())
          .setScheduleDelay(Duration.ofMillis(settings.scheduleDelayMs())).build());
    } else {
      provider.setSampler(Sampler.alwaysOff()).addSpanProcessor(NOTHING);
    }
    return new NodeTracing(OpenTelemetrySdk.builder()
        .setTracerProvider(provider.build())
        .setPropagators(ContextPropagators.create(W3CTraceContextPropagator.getInstance()))
        .build(), settings.recording());
  }

  /** What {@code Vertx.builder().withTracer(...)} takes; when nothing is recorded, without the spans' attributes. */
  public VertxTracerFactory vertxTracer() {
    OpenTelemetryTracingFactory factory = new OpenTelemetryTracingFactory(sdk);
    return recording ? factory : options -> new UntaggedTracer(factory.tracer(options));
  }

  public Tracer tracer() {
    return tracer;
  }

  /** Exports what is still buffered, then stops; after the node's Vert.x has closed. */
  @Override
  public void close() {
    sdk.getSdkTracerProvider().shutdown().join(10, TimeUnit.SECONDS);
  }

  /** An exporter the caller owns and reads after this node is gone: stopping the node does not shut it down. */
  private record Borrowed(SpanExporter exporter) implements SpanExporter {
    @Override
    public CompletableResultCode export(Collection<SpanData> spans) {
      return exporter.export(spans);
    }

    @Override
    public CompletableResultCode flush() {
      return exporter.flush();
    }

    @Override
    public CompletableResultCode shutdown() {
      return CompletableResultCode.ofSuccess();
    }
  }
}
