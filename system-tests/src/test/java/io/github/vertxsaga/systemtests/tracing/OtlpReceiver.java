package io.github.vertxsaga.systemtests.tracing;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.util.HexFormat;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.zip.GZIPInputStream;

/**
 * An OTLP/HTTP receiver, as a collector is to the JVMs: it takes {@code POST /v1/traces} with a protobuf
 * {@code ExportTraceServiceRequest} and keeps every span. Nothing else is accepted.
 */
final class OtlpReceiver implements AutoCloseable {
  private static final HexFormat HEX = HexFormat.of();

  private final HttpServer server;
  private final List<TracedSpan> spans = new CopyOnWriteArrayList<>();
  private final AtomicInteger requests = new AtomicInteger();

  private OtlpReceiver(HttpServer server) {
    this.server = server;
  }

  static OtlpReceiver start() throws IOException {
    HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    OtlpReceiver receiver = new OtlpReceiver(server);
    server.createContext("/v1/traces", receiver::receive);
    server.start();
    return receiver;
  }

  /** What {@code OTEL_EXPORTER_OTLP_ENDPOINT} names. */
  String endpoint() {
    return "http://127.0.0.1:" + server.getAddress().getPort();
  }

  List<TracedSpan> spans() {
    return List.copyOf(spans);
  }

  int requests() {
    return requests.get();
  }

  private void receive(HttpExchange exchange) throws IOException {
    try (exchange) {
      if (!"POST".equals(exchange.getRequestMethod())
          || !"application/x-protobuf".equals(exchange.getRequestHeaders().getFirst("Content-Type"))) {
        exchange.sendResponseHeaders(415, -1);
        return;
      }
      InputStream body = exchange.getRequestBody();
      if ("gzip".equals(exchange.getRequestHeaders().getFirst("Content-Encoding"))) {
        body = new GZIPInputStream(body);
      }
      ExportTraceServiceRequest request = ExportTraceServiceRequest.parseFrom(body);
      requests.incrementAndGet();
      for (ResourceSpans resource : request.getResourceSpansList()) {
        String service = attributes(resource.getResource().getAttributesList()).get("service.name");
        for (ScopeSpans scope : resource.getScopeSpansList()) {
          for (Span span : scope.getSpansList()) {
            spans.add(traced(span, service));
          }
        }
      }
      byte[] answer = ExportTraceServiceResponse.getDefaultInstance().toByteArray();
      exchange.getResponseHeaders().set("Content-Type", "application/x-protobuf");
      exchange.sendResponseHeaders(200, answer.length == 0 ? -1 : answer.length);
      if (answer.length > 0) {
        exchange.getResponseBody().write(answer);
      }
    }
  }

  private static TracedSpan traced(Span span, String service) {
    String parent = span.getParentSpanId().isEmpty() ? null : HEX.formatHex(span.getParentSpanId().toByteArray());
    // SPAN_KIND_SERVER -> SERVER, as the SDK names the kinds
    String kind = span.getKind().name().substring("SPAN_KIND_".length());
    return new TracedSpan(HEX.formatHex(span.getTraceId().toByteArray()), HEX.formatHex(span.getSpanId().toByteArray()),
        parent, span.getName(), kind, service, Map.copyOf(attributes(span.getAttributesList())));
  }

  private static Map<String, String> attributes(List<KeyValue> values) {
    Map<String, String> attributes = new HashMap<>();
    for (KeyValue value : values) {
      AnyValue any = value.getValue();
      String text = switch (any.getValueCase()) {
        case STRING_VALUE -> any.getStringValue();
        case INT_VALUE -> Long.toString(any.getIntValue());
        case BOOL_VALUE -> Boolean.toString(any.getBoolValue());
        case DOUBLE_VALUE -> Double.toString(any.getDoubleValue());
        default -> any.toString();
      };
      attributes.put(value.getKey(), text);
    }
    return attributes;
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
