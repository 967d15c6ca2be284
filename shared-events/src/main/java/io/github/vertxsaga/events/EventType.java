package io.github.vertxsaga.events;

import java.util.List;
import java.util.Optional;

/**
 * Every event type of the saga, who emits it and where it is delivered. The outbox writes one row per
 * destination, so each consumer acknowledges independently.
 */
public enum EventType {
  ORDER_PLACED("OrderPlaced", ServiceNames.ORDER_SERVICE, Addresses.INVENTORY_EVENTS),
  ORDER_CANCELLED("OrderCancelled", ServiceNames.ORDER_SERVICE, Addresses.INVENTORY_EVENTS),
  ORDER_CONFIRMED("OrderConfirmed", ServiceNames.ORDER_SERVICE),
  ORDER_REJECTED("OrderRejected", ServiceNames.ORDER_SERVICE),
  INVENTORY_RESERVED("InventoryReserved", ServiceNames.INVENTORY_SERVICE, Addresses.ORDER_EVENTS),
  INVENTORY_REJECTED("InventoryRejected", ServiceNames.INVENTORY_SERVICE, Addresses.ORDER_EVENTS),
  INVENTORY_RELEASED("InventoryReleased", ServiceNames.INVENTORY_SERVICE, Addresses.ORDER_EVENTS);

  private final String wireName;
  private final String emitter;
  private final List<String> destinations;

  EventType(String wireName, String emitter, String... destinations) {
    this.wireName = wireName;
    this.emitter = emitter;
    this.destinations = List.of(destinations);
  }

  /** The CloudEvents {@code type} attribute. */
  public String wireName() {
    return wireName;
  }

  /** The service that owns this event's outbox. */
  public String emitter() {
    return emitter;
  }

  /** Addresses of the consumers that must acknowledge this event; empty for events nobody consumes yet. */
  public List<String> destinations() {
    return destinations;
  }

  public static Optional<EventType> fromWireName(String name) {
    for (EventType type : values()) {
      if (type.wireName.equals(name)) {
        return Optional.of(type);
      }
    }
    return Optional.empty();
  }
}
