package io.github.vertxsaga.order;

import io.github.vertxsaga.events.EventEnvelope;
import io.github.vertxsaga.events.EventPayload;
import io.github.vertxsaga.events.Payloads.InventoryRejected;
import io.github.vertxsaga.events.Payloads.InventoryReserved;
import io.github.vertxsaga.events.Payloads.OrderConfirmed;
import io.github.vertxsaga.events.Payloads.OrderRejected;
import io.github.vertxsaga.platform.outbox.EventHandler;
import io.github.vertxsaga.platform.outbox.EventSink;
import java.sql.Connection;
import java.sql.SQLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The order side of the saga: inventory's answer settles a PENDING order. An answer for an order already cancelled
 * changes nothing here: inventory sees the OrderCancelled after its own reservation and releases it.
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
      settle(c, events, reserved.orderId(), OrderStatus.CONFIRMED, null);
    } else if (payload instanceof InventoryRejected rejected) {
      settle(c, events, rejected.orderId(), OrderStatus.REJECTED, rejected.reason());
    }
    // InventoryReleased closes the story of a cancelled order; the inbox records it as handled.
  }

  private void settle(Connection c, EventSink events, String orderId, OrderStatus outcome, String reason)
      throws SQLException {
    Order order = repository.findForUpdate(c, orderId)
        .orElseThrow(() -> new SQLException("inventory answered for unknown order " + orderId));
    if (order.status() != OrderStatus.PENDING) {
      log.info("order={} is {}; inventory's {} changes nothing", orderId, order.status(), outcome);
      return;
    }
    Order settled = order.withStatus(outcome, reason, System.currentTimeMillis());
    repository.update(c, settled);
    events.emit(outcome == OrderStatus.CONFIRMED
        ? new OrderConfirmed(orderId)
        : new OrderRejected(orderId, reason), settled.version());
  }
}
