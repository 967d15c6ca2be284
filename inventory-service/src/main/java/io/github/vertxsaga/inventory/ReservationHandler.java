package io.github.vertxsaga.inventory;

import io.github.vertxsaga.events.EventEnvelope;
import io.github.vertxsaga.events.EventPayload;
import io.github.vertxsaga.events.LineItem;
import io.github.vertxsaga.events.Payloads.InventoryRejected;
import io.github.vertxsaga.events.Payloads.InventoryReleased;
import io.github.vertxsaga.events.Payloads.InventoryReserved;
import io.github.vertxsaga.events.Payloads.OrderCancelled;
import io.github.vertxsaga.events.Payloads.OrderPlaced;
import io.github.vertxsaga.platform.outbox.EventHandler;
import io.github.vertxsaga.platform.outbox.EventSink;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * The inventory side of the saga: an order is reserved line by line, all or nothing; a cancelled order's stock is
 * released and the release announced. Runs inside the inbox transaction, so each event is applied exactly once.
 */
final class ReservationHandler implements EventHandler {
  private final InventoryRepository repository;

  ReservationHandler(InventoryRepository repository) {
    this.repository = repository;
  }

  @Override
  public void apply(EventEnvelope envelope, EventPayload payload, Connection c, EventSink events) throws SQLException {
    if (payload instanceof OrderPlaced placed) {
      reserve(placed, c, events);
    } else if (payload instanceof OrderCancelled cancelled) {
      release(cancelled, c, events);
    }
    // Other order events need nothing from inventory; the inbox still records them as handled.
  }

  private void reserve(OrderPlaced placed, Connection c, EventSink events) throws SQLException {
    long now = System.currentTimeMillis();
    Optional<InventoryRepository.Reservation> existing = repository.reservationForUpdate(c, placed.orderId());
    if (existing.isPresent()) {
      return; // already decided, or cancelled before it could be reserved: nothing to take
    }
    List<LineItem> lines = merged(placed.items());
    // A single line needs no savepoint (a statement and a round trip): when it cannot be taken, nothing was.
    Savepoint beforeReserving = lines.size() > 1 ? c.setSavepoint() : null;
    for (LineItem line : lines) {
      if (!repository.tryReserve(c, line.sku(), line.quantity(), now)) {
        if (beforeReserving != null) {
          c.rollback(beforeReserving); // all or nothing: give back the lines already taken
        }
        InventoryRejected rejected = whyNot(c, placed.orderId(), line);
        repository.insertReservation(c, placed.orderId(), ReservationStatus.REJECTED, lines, rejected.reason(), now);
        events.emit(rejected, 1);
        return;
      }
    }
    repository.insertReservation(c, placed.orderId(), ReservationStatus.RESERVED, lines, null, now);
    events.emit(new InventoryReserved(placed.orderId(), lines), 1);
  }

  private InventoryRejected whyNot(Connection c, String orderId, LineItem line) throws SQLException {
    OptionalLong available = repository.available(c, line.sku());
    return available.isEmpty()
        ? InventoryRejected.unknownSku(orderId, line.sku())
        : InventoryRejected.insufficientStock(orderId, line.sku(), available.getAsLong(), line.quantity());
  }

  /**
   * Gives a cancelled order's stock back. Every cancel that inventory acts on is answered with InventoryReleased, even
   * when nothing was held: that answer is what moves the order from CANCELLING to CANCELLED.
   */
  private void release(OrderCancelled cancelled, Connection c, EventSink events) throws SQLException {
    long now = System.currentTimeMillis();
    Optional<InventoryRepository.Reservation> existing = repository.reservationForUpdate(c, cancelled.orderId());
    if (existing.isEmpty()) {
      // The cancel overtook the order (only possible once an OrderPlaced was parked): remember it, so the order is
      // never reserved later, and tell order-service that nothing is held.
      repository.insertReservation(c, cancelled.orderId(), ReservationStatus.CANCELLED, List.of(),
          "cancelled before reservation", now);
      events.emit(new InventoryReleased(cancelled.orderId(), List.of()), 1);
      return;
    }
    InventoryRepository.Reservation reservation = existing.get();
    switch (reservation.status()) {
      case RESERVED -> {
        for (LineItem line : reservation.items()) {
          repository.release(c, line.sku(), line.quantity(), now);
        }
        long version = reservation.version() + 1;
        repository.updateReservation(c, cancelled.orderId(), ReservationStatus.RELEASED, version, now);
        events.emit(new InventoryReleased(cancelled.orderId(), reservation.items()), version);
      }
      // Nothing held: the InventoryRejected sent for it ends the cancel on order-service's side.
      case REJECTED -> { }
      // Answered already, when that earlier cancel was applied.
      case RELEASED, CANCELLED -> { }
    }
  }

  /**
   * One line per SKU, in SKU order: two transactions then always lock rows in the same order, so concurrent
   * reservations wait for each other instead of deadlocking.
   */
  static List<LineItem> merged(List<LineItem> items) {
    Map<String, Integer> bySku = new LinkedHashMap<>();
    items.forEach(item -> bySku.merge(item.sku(), item.quantity(), Integer::sum));
    List<LineItem> lines = new ArrayList<>();
    bySku.forEach((sku, quantity) -> lines.add(new LineItem(sku, quantity)));
    lines.sort(Comparator.comparing(LineItem::sku));
    return lines;
  }
}
