package io.github.vertxsaga.order;

/** The lifecycle of an order. PENDING until inventory answers; CANCELLED may follow PENDING or CONFIRMED. */
public enum OrderStatus {
  PENDING, CONFIRMED, REJECTED, CANCELLED;

  boolean cancellable() {
    return this == PENDING || this == CONFIRMED;
  }
}
