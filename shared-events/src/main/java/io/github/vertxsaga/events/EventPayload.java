package io.github.vertxsaga.events;

import io.vertx.core.json.JsonObject;

/**
 * The {@code data} of an event. Every payload concerns one aggregate (in this saga, an order): its id is the
 * envelope's subject, and the outbox keeps the events of one aggregate in order.
 */
public sealed interface EventPayload
    permits Payloads.OrderPlaced, Payloads.OrderCancelled, Payloads.OrderConfirmed, Payloads.OrderRejected,
        Payloads.InventoryReserved, Payloads.InventoryRejected, Payloads.InventoryReleased {

  EventType type();

  String aggregateId();

  JsonObject toJson();
}
