package io.github.vertxsaga.events;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class EventEnvelopeTest {
  private static final String TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

  private final EventEnvelope placed = EventEnvelope.wrap(
      new Payloads.OrderPlaced("o-1", "alice", List.of(new LineItem("SKU-1", 2))), 1,
      Instant.parse("2026-11-24T10:00:00Z"))
      .withTraceContext(TRACEPARENT, "vendor=x1");

  @Test
  @DisplayName("an envelope is CloudEvents 1.0 JSON with the order id as subject")
  void cloudEventsAttributes() {
    JsonObject json = placed.toJson();
    assertThat(json.getString("specversion")).isEqualTo("1.0");
    assertThat(json.getString("type")).isEqualTo("OrderPlaced");
    assertThat(json.getString("source")).isEqualTo("/order-service");
    assertThat(json.getString("subject")).isEqualTo("o-1");
    assertThat(json.getString("datacontenttype")).isEqualTo("application/json");
    assertThat(json.getLong("sequence")).isEqualTo(1L);
  }

  @Test
  @DisplayName("the trace context travels as the CloudEvents distributed-tracing attributes, and names the order's trace")
  void distributedTracingAttributes() {
    JsonObject json = placed.toJson();
    assertThat(json.getString("traceparent")).isEqualTo(TRACEPARENT);
    assertThat(json.getString("tracestate")).isEqualTo("vendor=x1");
    assertThat(placed.traceId()).isEqualTo("4bf92f3577b34da6a3ce929d0e0e4736");
    assertThat(placed.withTraceContext("garbage", null).traceId()).isNull();
  }

  @Test
  @DisplayName("the wire codec round-trips an envelope")
  void codecRoundTrip() {
    EventEnvelopeCodec codec = new EventEnvelopeCodec();
    Buffer buffer = Buffer.buffer().appendString("prefix");
    codec.encodeToWire(buffer, placed);
    assertThat(codec.decodeFromWire(6, buffer)).isEqualTo(placed);
  }

  @Test
  @DisplayName("unknown attributes and data fields are ignored, so events can grow")
  void toleratesUnknownFields() {
    JsonObject json = placed.toJson().put("futureattr", "x");
    json.getJsonObject("data").put("futureField", 42);
    EventEnvelope read = EventEnvelope.fromJson(json);
    EventPayload payload = Payloads.read(read.eventType().orElseThrow(), read.data());
    assertThat(payload).isEqualTo(new Payloads.OrderPlaced("o-1", "alice", List.of(new LineItem("SKU-1", 2))));
  }

  @Test
  @DisplayName("an envelope without an id is refused with a clear message")
  void refusesMissingId() {
    JsonObject json = placed.toJson();
    json.remove("id");
    assertThatThrownBy(() -> EventEnvelope.fromJson(json)).hasMessageContaining("missing 'id'");
  }
}
