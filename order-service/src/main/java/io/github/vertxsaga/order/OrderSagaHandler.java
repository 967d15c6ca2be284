package io.github.vertxsaga.order;

import io.github.vertxsaga.events.EventEnvelope;
import io.github.vertxsaga.events.EventPayload;
import io.github.vertxsaga.events.Payloads.InventoryRejected;
import io.github.vertxsaga.events.Payloads.InventoryReleased;
import io.github.vertxsaga.events.Payloads.InventoryReserved;
import io.github.vertxsaga.events.Payloads.OrderConfirmed;
import io.github.vertxsaga.events.Payloads.OrderRejected;
import io.github.vertxsaga.order.OrderStatus.Trigger;
import io.github.vertxsaga.platform.outbox.EventHandler;
import io.github.vertxsaga.platform.outbox.EventSink;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The order side of the saga: each of inventory's answers moves the order as {@link OrderStatus} says, or changes
 * nothing (logged) when its status does not move on that answer.
 */
final class OrderSagaHandler implements EventHandler {
  private static final Logger log = LoggerFactory.getLogger(OrderSagaHandler.class);
  private final OrderRepository repository;

  OrderSagaHandler(OrderRepository repository) {
    this.repository = repository;
  }

  @Override
  public void apply(EventEnvelope envelope, EventPayload payload, Connection c, EventSink events) throws SQLException {
    if (payload instanceof InventoryReserved reserved) {
      move(c, events, reserved.orderId(), Trigger.INVENTORY_RESERVED, null);
    } else if (payload instanceof InventoryRejected rejected) {
      move(c, events, rejected.orderId(), Trigger.INVENTORY_REJECTED, rejected.reason());
    } else if (payload instanceof InventoryReleased released) {
      move(c, events, released.orderId(), Trigger.INVENTORY_RELEASED, null);
    }
  }

  private void move(Connection c, EventSink events, String orderId, Trigger answer, String reason)
      throws SQLException {
    Order order = repository.findForUpdate(c, orderId)
        .orElseThrow(() -> new SQLException("inventory answered for unknown order " + orderId));
    Optional<Order> moved = order.after(answer, reason, System.currentTimeMillis());
    if (moved.isEmpty()) {
      log.info("order={} is {}; inventory's {} changes nothing", orderId, order.status(), answer);
      return;
    }
    Order next = moved.get();
    repository.update(c, next);
    switch (next.status()) {
      case CONFIRMED -> events.emit(new OrderConfirmed(orderId), next.version());
      case REJECTED -> events.emit(new OrderRejected(orderId, next.reason()), next.version());
      // CANCELLED has no event of its own: OrderCancelled told inventory, the only party that acts on a cancel, and
      // the InventoryReleased (or InventoryRejected) that ended it came from inventory itself.
      default -> { }
    }
  }
}
