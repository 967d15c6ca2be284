package io.github.vertxsaga.events;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class PayloadsTest {
  private static final List<LineItem> LINES = List.of(new LineItem("SKU-1", 2), new LineItem("SKU-2", 1));

  private static EventPayload sample(EventType type) {
    return switch (type) {
      case ORDER_PLACED -> new Payloads.OrderPlaced("o-1", "alice", LINES);
      case ORDER_CANCELLED -> new Payloads.OrderCancelled("o-1", "CONFIRMED");
      case ORDER_CONFIRMED -> new Payloads.OrderConfirmed("o-1");
      case ORDER_REJECTED -> new Payloads.OrderRejected("o-1", "unknown SKU X");
      case INVENTORY_RESERVED -> new Payloads.InventoryReserved("o-1", LINES);
      case INVENTORY_REJECTED -> Payloads.InventoryRejected.unknownSku("o-1", "X");
      case INVENTORY_RELEASED -> new Payloads.InventoryReleased("o-1", LINES);
    };
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(EventType.class)
  @DisplayName("every payload reads back equal from its JSON, inside an envelope of its type")
  void payloadRoundTrip(EventType type) {
    EventPayload payload = sample(type);
    assertThat(payload.type()).isEqualTo(type);

    EventEnvelope envelope = EventEnvelope.fromJson(
        EventEnvelope.wrap(payload, 3, Instant.parse("2026-01-02T03:04:05Z")).toJson());

    assertThat(envelope.eventType()).contains(type);
    assertThat(envelope.subject()).isEqualTo("o-1");
    assertThat(envelope.source()).isEqualTo("/" + type.emitter());
    assertThat(Payloads.read(type, envelope.data())).isEqualTo(payload);
  }

  @Test
  @DisplayName("each event type has its own wire name, and the wire name finds the type again")
  void wireNamesAreUnique() {
    assertThat(Arrays.stream(EventType.values()).map(EventType::wireName)).doesNotHaveDuplicates();
    for (EventType type : EventType.values()) {
      assertThat(EventType.fromWireName(type.wireName())).contains(type);
    }
    assertThat(EventType.fromWireName("OrderGiftWrapped")).isEmpty();
  }

  @Test
  @DisplayName("order events that inventory acts on go to inventory, inventory's answers go to orders, the rest nowhere")
  void destinations() {
    assertThat(EventType.ORDER_PLACED.destinations()).containsExactly(Addresses.INVENTORY_EVENTS);
    assertThat(EventType.ORDER_CANCELLED.destinations()).containsExactly(Addresses.INVENTORY_EVENTS);
    assertThat(EventType.ORDER_CONFIRMED.destinations()).isEmpty();
    assertThat(EventType.ORDER_REJECTED.destinations()).isEmpty();
    assertThat(EventType.INVENTORY_RESERVED.destinations()).containsExactly(Addresses.ORDER_EVENTS);
    assertThat(EventType.INVENTORY_REJECTED.destinations()).containsExactly(Addresses.ORDER_EVENTS);
    assertThat(EventType.INVENTORY_RELEASED.destinations()).containsExactly(Addresses.ORDER_EVENTS);
    for (EventType type : EventType.values()) {
      assertThat(type.emitter()).isEqualTo(type.name().startsWith("ORDER_")
          ? ServiceNames.ORDER_SERVICE : ServiceNames.INVENTORY_SERVICE);
    }
  }

  @Test
  @DisplayName("a rejection says which SKU failed and why")
  void rejectionsNameTheSku() {
    Payloads.InventoryRejected scarce = Payloads.InventoryRejected.insufficientStock("o-1", "SKU-9", 1, 3);
    assertThat(scarce.sku()).isEqualTo("SKU-9");
    assertThat(scarce.reason()).isEqualTo("insufficient stock for SKU SKU-9: 3 wanted, 1 available");

    Payloads.InventoryRejected unknown = Payloads.InventoryRejected.unknownSku("o-1", "SKU-0");
    assertThat(unknown.sku()).isEqualTo("SKU-0");
    assertThat(unknown.reason()).isEqualTo("unknown SKU SKU-0");
  }

  @Test
  @DisplayName("each wrap is a new event: a fresh id, even for the same payload")
  void wrapGivesFreshIds() {
    EventPayload payload = sample(EventType.ORDER_PLACED);
    Instant now = Instant.now();
    assertThat(EventEnvelope.wrap(payload, 1, now).id()).isNotEqualTo(EventEnvelope.wrap(payload, 1, now).id());
  }

  @Test
  @DisplayName("an envelope without a trace context carries none, and one without data reads as empty data")
  void optionalAttributes() {
    JsonObject json = EventEnvelope.wrap(sample(EventType.ORDER_CONFIRMED), 2, Instant.now()).toJson();
    assertThat(json.containsKey("traceparent")).isFalse();
    assertThat(json.containsKey("tracestate")).isFalse();
    json.remove("data");
    EventEnvelope read = EventEnvelope.fromJson(json);
    assertThat(read.traceId()).isNull();
    assertThat(read.data()).isEqualTo(new JsonObject());
  }
}
