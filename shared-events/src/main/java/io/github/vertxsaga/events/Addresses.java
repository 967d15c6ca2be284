package io.github.vertxsaga.events;

/** Event-bus addresses shared by every service. Dotted lower-case, defined once here. */
public final class Addresses {
  /** Domain events that inventory-service consumes (point to point, acknowledged). */
  public static final String INVENTORY_EVENTS = "inventory.events";
  /** Domain events that order-service consumes (point to point, acknowledged). */
  public static final String ORDER_EVENTS = "orders.events";
  /**
   * Notes of every event delivered and handled, published (fire and forget) for the operator's live view: the
   * gateway's dashboard listens here. Never acknowledged, never needed by the saga.
   */
  public static final String OBSERVATIONS = "saga.observations";

  private Addresses() {
  }

  /**
   * Where the consumer of {@code address} takes {@link EventBatch}es; it still takes single envelopes on
   * {@code address} itself, which is what a relay of an earlier version sends, and what a relay sends when no consumer
   * takes batches yet (a consumer of an earlier version during a rolling upgrade).
   */
  public static String batchOf(String address) {
    return address + ".batch";
  }

  /** Published after a commit that wrote outbox rows, so the active relay of that service delivers them at once. */
  public static String outboxWakeup(String serviceName) {
    return "outbox.wakeup." + serviceName;
  }
}
