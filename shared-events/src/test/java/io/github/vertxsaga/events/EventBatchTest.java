package io.github.vertxsaga.events;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class EventBatchTest {
  private static final String TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

  private final EventEnvelope first = EventEnvelope.wrap(
      new Payloads.OrderPlaced("o-1", "alice", List.of(new LineItem("SKU-1", 2))), 1,
      Instant.parse("2026-11-24T10:00:00Z")).withTraceContext(TRACEPARENT, null);
  private final EventEnvelope second = EventEnvelope.wrap(new Payloads.OrderCancelled("o-2", "PENDING"), 2,
      Instant.parse("2026-11-24T10:00:01Z"));

  @Test
  @DisplayName("a batch crosses the wire with every envelope, in order, each with its own trace context")
  void batchRoundTrip() {
    EventBatch batch = new EventBatch(List.of(first, second));
    EventBatchCodec codec = new EventBatchCodec();
    Buffer wire = Buffer.buffer("prefix");
    codec.encodeToWire(wire, batch);

    EventBatch read = codec.decodeFromWire("prefix".length(), wire);

    assertThat(read.events()).containsExactly(first, second);
    assertThat(read.events().get(0).traceparent()).isEqualTo(TRACEPARENT);
    assertThat(batch.toJson().getInteger("batchversion")).isEqualTo(EventBatch.VERSION);
  }

  @Test
  @DisplayName("a batch of another version is refused, not misread")
  void otherVersionIsRefused() {
    JsonObject later = new EventBatch(List.of(first)).toJson().put("batchversion", EventBatch.VERSION + 1);

    assertThatThrownBy(() -> EventBatch.fromJson(later)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("batchversion " + (EventBatch.VERSION + 1));
  }

  @Test
  @DisplayName("the answer carries one outcome per event; only applied, duplicate and ignored acknowledge one")
  void answerRoundTrip() {
    List<EventOutcome> outcomes = List.of(EventOutcome.of("a", EventOutcome.APPLIED),
        EventOutcome.failed("b", "boom"), EventOutcome.of("c", EventOutcome.SKIPPED),
        EventOutcome.of("d", EventOutcome.DUPLICATE), EventOutcome.of("e", EventOutcome.IGNORED));

    List<EventOutcome> read = EventBatch.outcomes(new JsonObject(EventBatch.reply(outcomes).encode()));

    assertThat(read).containsExactlyElementsOf(outcomes);
    assertThat(read).extracting(EventOutcome::acknowledged).containsExactly(true, false, false, true, true);
  }
}
