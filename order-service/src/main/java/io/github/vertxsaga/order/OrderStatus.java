package io.github.vertxsaga.order;

import java.util.EnumMap;
import java.util.Map;
import java.util.Optional;

/**
 * The lifecycle of an order, and the one table of which status follows which on what. The API and the saga handler
 * both move an order through {@link Order#after}, so no other class decides a transition.
 */
public enum OrderStatus {
  PENDING, CONFIRMED, REJECTED, CANCELLED;

  /** What can move an order: its customer's cancel, or one of inventory's answers. */
  enum Trigger { CANCEL, INVENTORY_RESERVED, INVENTORY_REJECTED, INVENTORY_RELEASED }

  private static final Map<OrderStatus, Map<Trigger, OrderStatus>> NEXT = new EnumMap<>(OrderStatus.class);

  static {
    for (OrderStatus status : values()) {
      NEXT.put(status, new EnumMap<>(Trigger.class));
    }
    transition(PENDING, Trigger.INVENTORY_RESERVED, CONFIRMED);
    transition(PENDING, Trigger.INVENTORY_REJECTED, REJECTED);
    transition(PENDING, Trigger.CANCEL, CANCELLED);
    transition(CONFIRMED, Trigger.CANCEL, CANCELLED);
    // Inventory's answer to an order already cancelled changes nothing here: inventory sees the OrderCancelled after
    // its own reservation and releases it. REJECTED and CANCELLED are final.
  }

  private static void transition(OrderStatus from, Trigger on, OrderStatus to) {
    NEXT.get(from).put(on, to);
  }

  /** The status that follows this one on {@code trigger}; empty when the trigger changes nothing in this status. */
  Optional<OrderStatus> after(Trigger trigger) {
    return Optional.ofNullable(NEXT.get(this).get(trigger));
  }
}
