package io.github.vertxsaga.inventory;

/**
 * What inventory did for one order, as stored in {@code reservations.status}. Only RESERVED holds stock; a row in any
 * status means the order's OrderPlaced must not reserve again.
 */
enum ReservationStatus {
  /** Every line taken from available into reserved. */
  RESERVED,
  /** Nothing taken: a line was short or its SKU unknown. */
  REJECTED,
  /** Was RESERVED; the order was cancelled and the stock given back. */
  RELEASED,
  /** The cancel came before any reservation (its OrderPlaced was parked): nothing taken, and nothing ever will be. */
  CANCELLED
}
