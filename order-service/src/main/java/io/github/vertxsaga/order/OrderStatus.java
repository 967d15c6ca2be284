package io.github.vertxsaga.order;

import java.util.EnumMap;
import java.util.Map;
import java.util.Optional;

/**
 * The lifecycle of an order, and the one table of which status follows which on what. The API and the saga handler
 * both move an order through {@link Order#after}, so no other class decides a transition.
 *
 * <p>A cancel is a compensation that takes a round trip: the order is CANCELLING from the customer's cancel until
 * inventory says it holds nothing for it any more, and only then CANCELLED. order-service cannot tell whether a
 * PENDING order's reservation is in flight, so a PENDING order goes through CANCELLING too.
 */
public enum OrderStatus {
  PENDING, CONFIRMED, REJECTED, CANCELLING, CANCELLED;

  /** What can move an order: its customer's cancel, or one of inventory's answers. */
  enum Trigger { CANCEL, INVENTORY_RESERVED, INVENTORY_REJECTED, INVENTORY_RELEASED }

  private static final Map<OrderStatus, Map<Trigger, OrderStatus>> NEXT = new EnumMap<>(OrderStatus.class);

  static {
    for (OrderStatus status : values()) {
      NEXT.put(status, new EnumMap<>(Trigger.class));
    }
    transition(PENDING, Trigger.INVENTORY_RESERVED, CONFIRMED);
    transition(PENDING, Trigger.INVENTORY_REJECTED, REJECTED);
    transition(PENDING, Trigger.CANCEL, CANCELLING);
    transition(CONFIRMED, Trigger.CANCEL, CANCELLING);
    transition(CANCELLING, Trigger.INVENTORY_RELEASED, CANCELLED);
    transition(CANCELLING, Trigger.INVENTORY_REJECTED, CANCELLED); // nothing was ever held
    // CANCELLING stays CANCELLING on INVENTORY_RESERVED: the OrderCancelled follows that OrderPlaced in the order's
    // stream to inventory, which will release what it just reserved and say so. REJECTED and CANCELLED are final;
    // any answer on them, or on CONFIRMED, changes nothing.
  }

  private static void transition(OrderStatus from, Trigger on, OrderStatus to) {
    NEXT.get(from).put(on, to);
  }

  /** The status that follows this one on {@code trigger}; empty when the trigger changes nothing in this status. */
  Optional<OrderStatus> after(Trigger trigger) {
    return Optional.ofNullable(NEXT.get(this).get(trigger));
  }
}
