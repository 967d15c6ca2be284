package io.github.vertxsaga.platform.tracing;

import io.github.vertxsaga.platform.config.Env;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.net.URI;
import java.net.URISyntaxException;

/**
 * Where a node's spans go. Trace context is always made and propagated (log lines carry its ids); spans are recorded
 * and exported only when an OTLP endpoint is set, so tracing costs next to nothing by default.
 *
 * @param serviceName     the {@code service.name} of the node's spans ({@code OTEL_SERVICE_NAME}, default the node's name)
 * @param otlpEndpoint    base URL of an OTLP/HTTP receiver; spans are posted to {@code <endpoint>/v1/traces} as
 *                        protobuf ({@code OTEL_EXPORTER_OTLP_ENDPOINT}); null: nothing recorded, nothing exported
 * @param scheduleDelayMs how long finished spans wait to be exported in one batch ({@code OTEL_BSP_SCHEDULE_DELAY})
 * @param exporter        where spans go instead of OTLP, for tests that collect them in the JVM; null otherwise
 */
public record TracingSettings(String serviceName, String otlpEndpoint, long scheduleDelayMs, SpanExporter exporter) {
  public static final long DEFAULT_SCHEDULE_DELAY_MS = 5_000;

  /** Context propagation only: what a node runs with when no endpoint is set. */
  public static TracingSettings off(String serviceName) {
    return new TracingSettings(serviceName, null, DEFAULT_SCHEDULE_DELAY_MS, null);
  }

  public static TracingSettings from(Env env, String nodeName) {
    return new TracingSettings(
        env.string("OTEL_SERVICE_NAME", nodeName),
        endpoint(env.string("OTEL_EXPORTER_OTLP_ENDPOINT", null)),
        env.longValue("OTEL_BSP_SCHEDULE_DELAY", DEFAULT_SCHEDULE_DELAY_MS, 1, 600_000),
        null);
  }

  /** The same, with every span recorded and handed to {@code exporter} as soon as it ends (tests). */
  public TracingSettings exportingTo(SpanExporter exporter) {
    return new TracingSettings(serviceName, otlpEndpoint, scheduleDelayMs, exporter);
  }

  /** Whether spans are recorded at all. */
  public boolean recording() {
    return otlpEndpoint != null || exporter != null;
  }

  private static String endpoint(String raw) {
    if (raw == null) {
      return null;
    }
    try {
      URI uri = new URI(raw);
      if (!("http".equals(uri.getScheme()) || "https".equals(uri.getScheme())) || uri.getHost() == null) {
        throw new URISyntaxException(raw, "not an http or https URL with a host");
      }
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException("OTEL_EXPORTER_OTLP_ENDPOINT must be an http(s) URL such as "
          + "http://collector:4318, got '" + raw + "'");
    }
    return raw.endsWith("/") ? raw.substring(0, raw.length() - 1) : raw;
  }
}
