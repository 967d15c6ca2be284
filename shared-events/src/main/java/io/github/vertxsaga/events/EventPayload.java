package io.github.vertxsaga.events;

import io.vertx.core.json.JsonObject;

/** The {@code data} of an event. Every payload concerns one order: its id is the envelope's subject. */
public sealed interface EventPayload
    permits Payloads.OrderPlaced, Payloads.OrderCancelled, Payloads.OrderConfirmed, Payloads.OrderRejected,
        Payloads.InventoryReserved, Payloads.InventoryRejected, Payloads.InventoryReleased {

  EventType type();

  String orderId();

  JsonObject toJson();
}
